/// A notebook whose offline cell publishes a model and whose online cell serves it
/// (writing one line to $HOME/loads per load; `raise`, `crash` and `sleep` in a
/// request make it fail, die or dawdle). Shared by the server and the live serve tests.
public let servedNotebook = """
    env:
      LOAD_SECONDS: "0"
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
          MODEL = json.load(open("artifacts/model"))
          with open(os.path.join(os.environ["HOME"], "loads"), "a") as f:
              f.write("load\\n")
          time.sleep(float(os.environ.get("LOAD_SECONDS", "0")))
          def handle(request):
              if request.get("raise"):
                  raise ValueError("asked to raise")
              if request.get("crash"):
                  os._exit(3)
              time.sleep(request.get("sleep", 0))
              return {"score": request["x"] * MODEL["weight"]}
        sample: {"x": 1}
    """
