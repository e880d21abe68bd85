/// The Python program that hosts an online cell: it runs the cell's code once
/// (loading artifacts at top level), then answers requests with `handle()`.
///
/// Protocol on its stdin/stdout, one JSON document per line:
///   worker -> {"ready": true} once the cell's code ran, or {"error": {...}} and exit
///   runner -> a request (any JSON value)
///   worker -> {"response": VALUE} or {"error": {"type", "message", "traceback"}}
/// The cell's own prints go to stderr, so they cannot corrupt the protocol.
enum PythonWorkerDriver {
    static let fileName = "splitbook_worker.py"

    static let source = #"""
    import json, os, sys, traceback, types

    protocol_out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything the cell prints goes to stderr
    sys.stdout = sys.stderr

    def send(obj):
        protocol_out.write(json.dumps(obj, separators=(",", ":"), allow_nan=False) + "\n")
        protocol_out.flush()

    def failure(exc):
        return {"error": {"type": type(exc).__name__, "message": str(exc),
                          "traceback": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))}}

    script = sys.argv[1]
    module = types.ModuleType("__splitbook_cell__")
    module.__file__ = script
    try:
        with open(script) as f:
            code = compile(f.read(), script, "exec")
        exec(code, module.__dict__)
        handle = module.__dict__.get("handle")
        if not callable(handle):
            raise TypeError("an online Python cell must define handle(request)")
    except BaseException as exc:
        send(failure(exc))
        sys.exit(1)
    send({"ready": True})

    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            send({"response": handle(request)})
        except BaseException as exc:
            try:
                send(failure(exc))
            except BaseException as inner:
                send({"error": {"type": "TypeError", "message": "response is not JSON: %s" % inner, "traceback": ""}})
    """#
}
