import NIOCore
import SplitbookSpec

/// The Python program that hosts an online cell: it runs the cell's code once
/// (loading artifacts at top level), then answers requests with `handle()`,
/// or in batches with `handle_batch()` when the cell defines it.
///
/// Protocol on its stdin/stdout, one JSON document per line:
///   worker -> {"ready":true} once the cell's code ran, or {"error": {...}} and exit
///   runner -> {"id":N,"request":VALUE}, several in flight
///   worker -> {"id":N,"response":VALUE} or {"id":N,"error":{"type","message","traceback"}},
///             each batch of `handle_batch` announced by {"batch":SIZE}
/// The worker reads everything available, answers all of it and writes the
/// answers in one write (or, once half a millisecond has passed, each as it
/// is ready, so slow handlers do not hold finished answers back); an idle worker with `handle_batch` waits up to
/// `max_wait_ms` for a batch of `max_batch` to fill. Its arguments: the cell's
/// script, `max_batch`, `max_wait_ms`. The cell's own prints go to stderr,
/// so they cannot corrupt the protocol.
enum PythonWorkerDriver {
    static let fileName = "splitbook_worker.py"

    /// One request line, as the worker reads it; `json` is the request as JSON text.
    static func request(id: UInt64, json: String) -> String {
        "{\"id\":\(id),\"request\":\(json)}\n"
    }

    /// The same line, written straight into `buffer`.
    static func writeRequest(id: UInt64, json: String, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(#"{"id":"#)
        buffer.writeString(String(id))
        buffer.writeStaticString(#","request":"#)
        buffer.writeString(json)
        buffer.writeStaticString("}\n")
    }

    /// The bytes of `VALUE` in an answer line `{"id":N,"response":VALUE}`, as
    /// the driver writes it; nil for any other line (an error, or not the driver's).
    static func responseValue(in line: [UInt8]) -> ArraySlice<UInt8>? {
        let head = Array(#"{"id":"#.utf8), marker = Array(#","response":"#.utf8)
        guard line.last == UInt8(ascii: "}"), line.starts(with: head) else { return nil }
        let digits = line[head.count...].prefix { $0 >= 0x30 && $0 <= 0x39 }
        let rest = line[(head.count + digits.count)...]
        guard !digits.isEmpty, rest.starts(with: marker) else { return nil }
        return line[(rest.startIndex + marker.count)..<(line.count - 1)]
    }

    /// What a line the worker wrote is.
    enum Reply: Equatable {
        /// An answer (`response` or `error`) to request `id`.
        case answer(id: UInt64)
        /// The next `size` answers came from one call of `handle_batch`.
        case batch(size: Int)
        /// Not part of the protocol.
        case invalid
    }

    /// Reads a line's kind from its prefix, which the driver always writes first.
    static func reply(_ line: some Collection<UInt8>) -> Reply {
        if let id = number(after: #"{"id":"#, in: line) { return .answer(id: id) }
        if let size = number(after: #"{"batch":"#, in: line) { return .batch(size: Int(size)) }
        return .invalid
    }

    /// The decimal number right after `prefix` at the start of `line`.
    private static func number(after prefix: String, in line: some Collection<UInt8>) -> UInt64? {
        guard line.starts(with: prefix.utf8) else { return nil }
        let digits = line.dropFirst(prefix.utf8.count).prefix { $0 >= 0x30 && $0 <= 0x39 }
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        return digits.reduce(0) { $0 * 10 + UInt64($1 - 0x30) }
    }

    static let source = #"""
    import json, os, select, sys, time, traceback, types

    protocol = os.dup(1)
    os.dup2(2, 1)  # anything the cell prints goes to stderr
    sys.stdout = sys.stderr
    dumps = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode
    if getattr(json.encoder, "c_make_encoder", None):
        # The same encoder, made once: JSONEncoder.encode builds one per call, which cost more than the encoding.
        _encode = json.encoder.c_make_encoder(None, json.JSONEncoder().default, json.encoder.encode_basestring_ascii,
                                              None, ":", ",", False, False, False)

        def dumps(value):
            return "".join(_encode(value, 0))

    def write_all(data):
        view = memoryview(data)
        while view:
            view = view[os.write(protocol, view):]

    def failure(exc):
        return {"type": type(exc).__name__, "message": str(exc),
                "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))}

    def answer(id, response):
        try:
            return '{"id":%d,"response":%s}' % (id, dumps(response))
        except BaseException as exc:
            return error(id, {"type": "TypeError", "message": "response is not JSON: %s" % exc, "traceback": ""})

    def error(id, details):
        return '{"id":%d,"error":%s}' % (id, dumps(details))

    script, max_batch, max_wait = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) / 1000
    FLUSH_AFTER = 0.0005  # seconds of answering before what is ready is written
    module = types.ModuleType("__splitbook_cell__")
    module.__file__ = script
    try:
        with open(script) as f:
            code = compile(f.read(), script, "exec")
        exec(code, module.__dict__)
        handle, handle_batch = module.__dict__.get("handle"), module.__dict__.get("handle_batch")
        if not callable(handle_batch):
            handle_batch = None
            if not callable(handle):
                raise TypeError("an online Python cell must define handle(request) or handle_batch(requests)")
    except BaseException as exc:
        write_all((dumps({"error": failure(exc)}) + "\n").encode())
        sys.exit(1)
    write_all(b'{"ready":true}\n')

    unread = b""

    def read(timeout=None):
        """The whole lines available on stdin (waiting for some, or up to `timeout` s); exits at its end."""
        global unread
        if timeout is not None and not select.select([0], [], [], timeout)[0]:
            return []
        chunk = os.read(0, 1 << 20)
        if not chunk:
            sys.exit(0)
        *lines, unread = (unread + chunk).split(b"\n")
        lines = [line for line in lines if line.strip()]
        # One parse for all of them: json.loads costs more per call than per request here.
        return json.loads(b"[" + b",".join(lines) + b"]") if lines else []

    def one(message):
        try:
            return answer(message["id"], handle(message["request"]))
        except BaseException as exc:
            return error(message["id"], failure(exc))

    def batch(messages):
        out = ['{"batch":%d}' % len(messages)]
        try:
            responses = handle_batch([m["request"] for m in messages])
            if not isinstance(responses, list) or len(responses) != len(messages):
                what = "%d responses" % len(responses) if isinstance(responses, list) else "a %s" % type(responses).__name__
                raise TypeError("handle_batch returned %s for %d requests; it must return a list of the same length" % (what, len(messages)))
        except BaseException as exc:
            details = failure(exc)
            return out + [error(m["id"], details) for m in messages]
        return out + [answer(m["id"], r) for m, r in zip(messages, responses)]

    def answers(messages):
        """Each request's answer lines, per call of handle or handle_batch."""
        if handle_batch is None:
            for m in messages:
                yield [one(m)]
        else:
            for start in range(0, len(messages), max_batch):
                yield batch(messages[start:start + max_batch])

    while True:
        messages = read()
        if handle_batch is not None:
            # An idle worker waits up to max_wait for a batch to fill; a busy one finds requests waiting.
            deadline = time.monotonic() + max_wait
            while messages and len(messages) < max_batch and (left := deadline - time.monotonic()) > 0:
                messages += read(left)
        # Fast answers go out together in one write; once FLUSH_AFTER has passed,
        # what is ready goes out at once, so a slow handler's first answer never
        # waits for the others read with it.
        out, started = [], time.monotonic()
        for lines in answers(messages):
            out += lines
            if time.monotonic() - started >= FLUSH_AFTER:
                write_all(("\n".join(out) + "\n").encode())
                out, started = [], time.monotonic()
        if out:
            write_all(("\n".join(out) + "\n").encode())
    """#
}
