import Foundation

/// Runs that share one workspace at the same time (the points of a sweep)
/// execute each step key once: the first run that needs a key executes it;
/// the others wait for that execution and take its result as a cache hit.
public final class SharedExecutions: @unchecked Sendable {
    private final class Flight: @unchecked Sendable {
        let done = DispatchSemaphore(value: 0)
        var outcome: CellOutcome?
    }

    private let lock = NSLock()
    private var flights: [Digest: Flight] = [:]

    public init() {}

    /// `work`'s outcome for `key`; `shared` when another run executed it meanwhile.
    func run(_ key: Digest, _ work: () -> CellOutcome) -> (outcome: CellOutcome, shared: Bool) {
        let (flight, owner) = lock.withLock { () -> (Flight, Bool) in
            if let existing = flights[key] { return (existing, false) }
            let flight = Flight()
            flights[key] = flight
            return (flight, true)
        }
        guard owner else {
            flight.done.wait()
            flight.done.signal()  // the next waiter
            return (flight.outcome!, true)
        }
        let outcome = work()
        flight.outcome = outcome
        if case .failed = outcome { lock.withLock { _ = flights.removeValue(forKey: key) } }  // a later run may retry
        flight.done.signal()
        return (outcome, false)
    }
}
