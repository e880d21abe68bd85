import Foundation

/// Streams a running cell's stdout and stderr files line by line (for
/// `run --verbose`), masking secrets, until stopped. Polls every 100 ms:
/// the files stay the single record of the output, nothing is lost if the
/// reader lags.
final class LogFollower: @unchecked Sendable {
    private let files: [(name: String, path: String)]
    private let mask: SecretMask
    private let emit: @Sendable (String, String) -> Void
    private let done = DispatchSemaphore(value: 0)
    private let wake = DispatchSemaphore(value: 0)
    private let stopped = ManagedFlag()

    init(stdout: String, stderr: String, mask: SecretMask, emit: @escaping @Sendable (String, String) -> Void) {
        self.files = [("stdout", stdout), ("stderr", stderr)]
        self.mask = mask
        self.emit = emit
    }

    func start() {
        Thread.detachNewThread { [self] in
            var offsets = [UInt64](repeating: 0, count: files.count)
            var partial = [Data](repeating: Data(), count: files.count)
            while true {
                let last = stopped.isSet
                for (i, file) in files.enumerated() {
                    guard let handle = FileHandle(forReadingAtPath: file.path) else { continue }
                    try? handle.seek(toOffset: offsets[i])
                    let chunk = handle.readDataToEndOfFile()
                    try? handle.close()
                    offsets[i] += UInt64(chunk.count)
                    partial[i].append(chunk)
                    while let newline = partial[i].firstIndex(of: 0x0A) {
                        let line = partial[i][partial[i].startIndex..<newline]
                        emit(file.name, String(decoding: mask.apply(Data(line)), as: UTF8.self))
                        partial[i] = Data(partial[i][partial[i].index(after: newline)...])
                    }
                    if last, !partial[i].isEmpty {
                        emit(file.name, String(decoding: mask.apply(partial[i]), as: UTF8.self))
                        partial[i] = Data()
                    }
                }
                if last { break }
                _ = wake.wait(timeout: .now() + 0.1)
            }
            done.signal()
        }
    }

    /// Reads what is left and waits for the last lines to be emitted.
    func stop() {
        stopped.set()
        wake.signal()
        done.wait()
    }
}
