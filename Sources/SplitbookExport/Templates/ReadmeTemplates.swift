extension ExportReadme {
    /// README.md of the offline export. Context: `ExportReadme.OfflineContext`.
    static let offlineTemplate = TextTemplate("README.md (offline)", #"""
    # {{title}}: the offline half

    This directory is the **offline batch job** of notebook `{{name}}`, exported by
    `splitbook export offline`. It is one of two programs the notebook became:

    - **this job** runs on a schedule: it reads data, builds features, trains or
      indexes, and **publishes** artifacts into a registry directory;
    - the **online service** (`splitbook export online`) runs all the time: it loads
      the published artifacts once and answers requests.

    They share nothing but the registry. Nothing in this directory answers requests,
    and nothing in the service rebuilds what this job builds.

    ## What runs, in order

    | cell | language | reads | publishes |
    |---|---|---|---|
    {{#cells}}
    | `{{id}}` | {{language}} | {{reads}} | {{publishes}} |
    {{/cells}}

    `notebook.yaml` holds these cells as a notebook of their own (`splitbook run
    notebook.yaml` runs them cached); `run.sh` runs them without splitbook.

    ## Params

    {{#hasParams}}
    | param | default | override with |
    |---|---|---|
    {{/hasParams}}
    {{#params}}
    | `{{name}}` | `{{json}}` | `PARAM_{{upperName}}=...` |
    {{/params}}
    {{^params}}
    This job has no params.
    {{/params}}

    ## Run it on a laptop

    ```sh
    sh run.sh                              # every cell, publishing into ./registry
    {{example}}sh run.sh          # with a param changed
    SPLITBOOK_REGISTRY=/srv/registry sh run.sh   # publish somewhere else
    sh run.sh --list                       # the cells, in the order they run
    ```

    Each cell runs in a fresh directory under `work/` that holds copies of exactly
    the files it declared, with the environment splitbook gives it (`PARAM_*`,
    `SPLITBOOK_PARAMS`, `SPLITBOOK_DISPLAY`, `SPLITBOOK_METRICS`). A cell that fails,
    or does not write a declared output, stops the job with exit status 1. Unlike
    `splitbook run`, the job caches nothing: a batch job reruns everything.

    ## Run it in Docker

    ```sh
    docker build -t {{image}} .
    docker run --rm -v "$PWD/registry:/registry" {{image}}
    ```

    The image runs as user and group 10001 (numeric, as Kubernetes' `runAsNonRoot`
    needs). Its tag is the first 12 hex digits of a digest of everything the image
    holds (this directory but the manifests and this README, which `.dockerignore`
    leaves out): an export with other content gets another tag.

    ## Run it on Kubernetes

    - `registry-pvc.yaml`: the PersistentVolumeClaim `{{dns}}-registry`, the registry
      volume. Apply it once, before either half: the online export carries the same claim.
    - `cronjob.yaml`: a CronJob running the whole job on the schedule `{{schedule}}`.
    - `workflow.yaml`: an Argo Workflow with one DAG task per cell, so independent
      cells run in parallel and a failed cell can be retried alone
      (`argo submit workflow.yaml`).

    Both mount the claim at `/registry`; the online Deployment mounts the same claim
    read-only. That volume is the whole interface between the two halves.

    ```sh
    kubectl apply -f registry-pvc.yaml -f cronjob.yaml
    ```

    The manifests name the image `{{image}}` with `imagePullPolicy: IfNotPresent`:
    build it on the cluster's nodes under that name, or push it to your registry
    and name it there:

    ```sh
    docker tag {{image}} registry.example.com/team/{{image}}
    docker push registry.example.com/team/{{image}}
    sed -i 's|image: {{image}}|image: registry.example.com/team/{{image}}|' cronjob.yaml workflow.yaml
    ```

    ## The registry it writes

    The layout is splitbook's, so `splitbook registry list --registry DIR` and
    `splitbook serve` read it directly:

    ```
    NAME/versions/N/content        the artifact (a file or a directory)
    NAME/versions/N/lineage.json   notebook, cell, params, input and content hashes, time
    NAME/aliases/latest            the newest version ("N")
    NAME/history.jsonl             one line per publish
    ```

    Publishing content identical to an existing version creates no new version.
    `contract.json` lists what this job publishes.

    """#)

    /// README.md of the online export. Context: `ExportReadme.OnlineContext`.
    static let onlineTemplate = TextTemplate("README.md (online)", #"""
    # {{title}}: the online half

    This directory is the **online serving bundle** of notebook `{{name}}`, exported by
    `splitbook export online`. It is one of two programs the notebook became:

    - the **offline job** (`splitbook export offline`) runs on a schedule and
      publishes artifacts into a registry;
    - **this service** runs all the time: each worker loads the artifacts once, then
      answers JSON requests fast.

    They share nothing but the registry. This bundle holds no training or indexing
    code, and cannot change what it serves except by loading a newer version.

    ## Endpoints

    {{#endpoints}}
    - `POST /v1/{{endpoint}}`: {{chain}}
    {{/endpoints}}

    `openapi.json` describes them, with the notebook's samples and the responses run
    {{runID}} gave as examples.

    ## Artifacts it loads

    {{#hasArtifacts}}
    | artifact | version validated | content hash |
    |---|---|---|
    {{/hasArtifacts}}
    {{#artifacts}}
    | `{{reference}}` | {{version}} | `{{contentHash}}` |
    {{/artifacts}}
    {{^artifacts}}
    It loads no artifacts.
    {{/artifacts}}

    These are the versions the notebook run validated (`contract.json`). The server
    resolves the aliases again when it starts and on reload, and checks every
    version's content against its lineage before it reports ready.

    ## Serve it on a laptop

    ```sh
    splitbook serve . --registry ../registry     # or SPLITBOOK_REGISTRY=...
    {{#endpoints}}
    curl -s -X POST localhost:{{port}}/v1/{{endpoint}} -H 'content-type: application/json' -d {{sampleWord}}
    {{/endpoints}}
    curl -s localhost:{{port}}/readyz
    ```

    After the offline job publishes a new version, `kill -HUP <pid>` or
    `curl -X POST localhost:{{port}}/admin/reload` swaps it in without
    dropping requests.

    ## Run it in Docker

    `bin/splitbook` is a static Linux build of splitbook: `splitbook export online`
    copies itself when it is one (`swift build -c release --static-swift-stdlib
    -Xswiftc -static-executable -Xlinker -no-pie` makes one), or the file given with
    `--binary PATH`, and refuses anything else.

    ```sh
    docker build -t {{image}} .
    docker run --rm -p {{port}}:{{port}} -v "$PWD/registry:/registry:ro" {{image}}
    ```

    The image runs as user and group 10001 (numeric, as Kubernetes' `runAsNonRoot`
    needs). Its tag is the first 12 hex digits of a digest of everything the image
    holds (this directory but the manifests and this README, which `.dockerignore`
    leaves out): an export with other content gets another tag.

    ## Run it on Kubernetes

    `deployment.yaml` holds a Deployment (liveness probe `/healthz`, readiness probe
    `/readyz`, so a pod gets traffic only once its workers have loaded) and a Service.
    It mounts the PersistentVolumeClaim `{{dns}}-registry` (`registry-pvc.yaml`, the
    same claim the offline export carries; apply it once) read-only: the offline
    CronJob writes that volume, this service only reads it.

    ```sh
    kubectl apply -f registry-pvc.yaml -f deployment.yaml
    ```

    The manifest names the image `{{image}}` with `imagePullPolicy: IfNotPresent`:
    build it on the cluster's nodes under that name, or push it to your registry
    and name it there:

    ```sh
    docker tag {{image}} registry.example.com/team/{{image}}
    docker push registry.example.com/team/{{image}}
    sed -i 's|image: {{image}}|image: registry.example.com/team/{{image}}|' deployment.yaml
    ```

    """#)
}
