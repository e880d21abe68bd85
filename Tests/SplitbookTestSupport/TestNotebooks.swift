import Foundation

/// A notebook whose offline cell publishes a model and whose online cell serves it
/// (writing one line to $HOME/loads per load; `raise`, `crash` and `sleep` in a
/// request make it fail, die or dawdle). A `gate` path in a request, or
/// `LOAD_GATE` for the load, makes it create `<path>.started` and wait until
/// `<path>` exists: tests order events by files, not by sleeping and hoping
/// (a busy machine can delay a test's wake-up by seconds). Shared by the server
/// and the live serve tests.
public let servedNotebook = """
    env:
      LOAD_GATE: ""
    params:
      weight: 2
    cells:
      - id: train
        params: [weight]
        outputs: [model.json]
        publish: {model: model.json}
        code: |
          printf '{"weight": %s}' "$PARAM_WEIGHT" > model.json
      - id: score
        stage: online
        uses: [model@production]
        lang: python
        timeout: 2
        code: |
          import json, os, time
          def gate(path):
              open(path + ".started", "w").close()
              while not os.path.exists(path):
                  time.sleep(0.005)
          MODEL = json.load(open("artifacts/model"))
          with open(os.path.join(os.environ["HOME"], "loads"), "a") as f:
              f.write("load\\n")
          if os.environ.get("LOAD_GATE"):
              gate(os.environ["LOAD_GATE"])
          def handle(request):
              if "gate" in request:
                  gate(request["gate"])
              if request.get("raise"):
                  raise ValueError("asked to raise")
              if request.get("crash"):
                  os._exit(3)
              time.sleep(request.get("sleep", 0))
              return {"score": request["x"] * MODEL["weight"]}
        sample: {"x": 1}
    """

/// A file `servedNotebook`'s handler (or load) waits at: the test learns the
/// handler has reached it and decides when it goes on.
public struct Gate: Sendable {
    public let path: String

    /// A closed gate in `directory`.
    public init(in directory: URL) {
        path = directory.appendingPathComponent("gate-\(UUID().uuidString)").path
    }

    /// Whether the handler reaches the gate within `seconds`.
    public func reached(within seconds: Double = 60) -> Bool {
        eventually(seconds: seconds) { FileManager.default.fileExists(atPath: path + ".started") }
    }

    /// Whether the handler reaches the gate within `seconds`, waiting without holding a thread.
    public func reached(within seconds: Double = 60) async -> Bool {
        await eventually(seconds: seconds) { FileManager.default.fileExists(atPath: path + ".started") }
    }

    /// Lets the handler go on.
    public func open() {
        FileManager.default.createFile(atPath: path, contents: nil)
    }

    /// Removes the gate's files.
    public func remove() {
        for file in [path, path + ".started"] { try? FileManager.default.removeItem(atPath: file) }
    }
}
