extension DeploymentManifests {
    // The Dockerfiles. Context: `DeploymentManifests.ImageContext`.

    static let offlineDockerfileTemplate = TextTemplate("Dockerfile (offline)", #"""
    # The offline half of notebook '{{notebook}}': a batch job (see README.md).
    #   docker build -t {{dns}}-offline:TAG .      (TAG: the one cronjob.yaml names, see README.md)
    #   docker run --rm -v "$PWD/registry:/registry" {{dns}}-offline:TAG
    {{> baseImage}}
    {{#hasEnvironments}}
    COPY requirements/ /tmp/requirements/
    {{/hasEnvironments}}
    {{#environments}}
    # The packages of cells {{cells}}, exactly as notebook.lock pins them; run.sh checks them before it starts.
    RUN python3 -m venv {{path}} && {{path}}/bin/pip install --no-cache-dir --no-deps -r /tmp/{{pinsFile}}
    ENV {{variable}}={{path}}/bin/python
    {{/environments}}
    # The job runs as {{uid}}:{{uid}}: numeric, so that Kubernetes can check runAsNonRoot without reading /etc/passwd.
    RUN groupadd --gid {{uid}} job && useradd --create-home --uid {{uid}} --gid {{uid}} job \
        && mkdir -p /registry /work && chown {{uid}}:{{uid}} /registry /work
    WORKDIR /job
    COPY --chown={{uid}}:{{uid}} . /job
    USER {{uid}}:{{uid}}
    ENV SPLITBOOK_REGISTRY=/registry SPLITBOOK_WORKDIR=/work
    VOLUME ["/registry"]
    ENTRYPOINT ["sh", "/job/run.sh"]

    """#, partials: ["baseImage": baseImagePartial])

    static let onlineDockerfileTemplate = TextTemplate("Dockerfile (online)", #"""
    # The online half of notebook '{{notebook}}': a serving bundle run by `splitbook serve` (see README.md).
    # bin/splitbook is a static Linux build of splitbook (checked by `splitbook export online`).
    #   docker build -t {{dns}}-online:TAG .      (TAG: the one deployment.yaml names, see README.md)
    #   docker run --rm -p {{port}}:{{port}} -v "$PWD/registry:/registry:ro" {{dns}}-online:TAG
    {{> baseImage}}
    # The server runs as {{uid}}:{{uid}}: numeric, so that Kubernetes can check runAsNonRoot without reading /etc/passwd.
    RUN groupadd --gid {{uid}} app && useradd --create-home --uid {{uid}} --gid {{uid}} app
    COPY --chown={{uid}}:{{uid}} . /srv/bundle
    RUN install -m 0755 /srv/bundle/bin/splitbook /usr/local/bin/splitbook
    {{#hasEnvironments}}
    # The cells' packages, exactly as notebook.lock pins them, built now so that the service starts without a network.
    ENV SPLITBOOK_ENVS=/opt/splitbook/envs SPLITBOOK_INSTALLER=pip
    RUN splitbook lock /srv/bundle/notebook.yaml --locked --build --outputs /tmp/splitbook-build && rm -rf /tmp/splitbook-build
    {{/hasEnvironments}}
    USER {{uid}}:{{uid}}
    WORKDIR /home/app
    ENV SPLITBOOK_REGISTRY=/registry
    EXPOSE {{port}}
    # The image has no curl; its python3 asks /healthz (a status other than 200 raises, and the check fails).
    HEALTHCHECK --interval=10s --timeout=2s CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:{{port}}/healthz')"]
    CMD ["splitbook", "serve", "/srv/bundle", "--host", "0.0.0.0", "--port", "{{port}}", "--outputs", "/tmp/splitbook"]

    """#, partials: ["baseImage": baseImagePartial])

    /// The base image with the cells' interpreters, and what to add to it.
    private static let baseImagePartial = #"""
    FROM {{from}}
    {{#installPython}}
    # Swift's image has no python3. Its packages come from the distribution's archive, which keeps one version of each,
    # so they are not pinned: a pinned version stops installing when the archive moves on.
    # hadolint ignore=DL3008
    RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv && rm -rf /var/lib/apt/lists/*
    {{/installPython}}
    {{#otherCommands}}
    # The cells also run `{{.}}`: install it here.
    {{/otherCommands}}

    """#

    // The Kubernetes and Argo manifests. Context: `DeploymentManifests.ManifestContext`;
    // `schedule` and each param's `value` are YAML scalars already (`NotebookYAML.scalar`).

    static let cronJobTemplate = TextTemplate("cronjob.yaml", #"""
    # The offline half of '{{notebook}}' on a schedule. It publishes into the registry volume
    # '{{registry}}', which the online Deployment mounts read-only.
    apiVersion: batch/v1
    kind: CronJob
    metadata:
      name: {{name}}
      labels:
        {{> labels}}
    spec:
      schedule: {{schedule}}
      concurrencyPolicy: Forbid
      successfulJobsHistoryLimit: 3
      failedJobsHistoryLimit: 3
      jobTemplate:
        spec:
          backoffLimit: 1
          template:
            metadata:
              labels:
                {{> labels}}
            spec:
              restartPolicy: Never
              securityContext:
                {{> podSecurity}}
              containers:
                - name: job
                  image: {{image}}
                  imagePullPolicy: IfNotPresent
                  command: [sh, /job/run.sh]
                  securityContext:
                    {{> containerSecurity}}
                  resources:
                    {{> jobResources}}
                  env:
                    - name: SPLITBOOK_REGISTRY
                      value: /registry
                    - name: SPLITBOOK_WORKDIR
                      value: /work
                    {{#params}}
                    {{> paramEnv}}
                    {{/params}}
                  volumeMounts:
                    - name: registry
                      mountPath: /registry
                    - name: work
                      mountPath: /work
              volumes:
                - name: registry
                  persistentVolumeClaim:
                    claimName: {{registry}}
                - name: work
                  emptyDir: {}

    """#, partials: manifestPartials)

    /// Argo's own `{{...}}` expressions stay as they are: this template's tags are `<% %>`.
    static let workflowTemplate = TextTemplate("workflow.yaml", #"""
    {{=<% %>=}}
    # The offline half of '<%notebook%>' as an Argo Workflow: one DAG task per cell,
    # run in dependency order, sharing the cells' directories on the 'work' volume and
    # publishing into the registry volume '<%registry%>'.
    apiVersion: argoproj.io/v1alpha1
    kind: Workflow
    metadata:
      generateName: <%name%>-
      labels:
        <%> labels%>
    spec:
      entrypoint: pipeline
      securityContext:
        <%> podSecurity%>
      volumeClaimTemplates:
        - metadata:
            name: work
          spec:
            accessModes: [ReadWriteOnce]
            resources:
              requests:
                storage: 1Gi
      volumes:
        - name: registry
          persistentVolumeClaim:
            claimName: <%registry%>
      templates:
        - name: pipeline
          dag:
            tasks:
              <%#tasks%>
              - name: <%task%>
                template: cell
                <%#dependencies%>
                dependencies: [<%.%>]
                <%/dependencies%>
                arguments:
                  parameters:
                    - name: cell
                      value: <%cell%>
              <%/tasks%>
        - name: cell
          inputs:
            parameters:
              - name: cell
          container:
            image: <%image%>
            imagePullPolicy: IfNotPresent
            command: [sh, /job/run.sh]
            args: ["{{inputs.parameters.cell}}"]
            securityContext:
              <%> containerSecurity%>
            resources:
              <%> jobResources%>
            env:
              - name: SPLITBOOK_REGISTRY
                value: /registry
              - name: SPLITBOOK_WORKDIR
                value: /work
              - name: SPLITBOOK_RUN_ID
                value: "{{workflow.name}}"
              <%#params%>
              <%> paramEnv%>
              <%/params%>
            volumeMounts:
              - name: work
                mountPath: /work
              - name: registry
                mountPath: /registry

    """#, partials: manifestPartials)

    static let deploymentTemplate = TextTemplate("deployment.yaml", #"""
    # The online half of '{{notebook}}': `splitbook serve` behind a Service. It reads the
    # registry volume '{{registry}}' (written by the offline job) and never writes to it.
    # After the job publishes, `kubectl rollout restart deployment/{{name}}` or
    # POST /admin/reload on each pod picks up the new versions.
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: {{name}}
      labels:
        {{> labels}}
    spec:
      replicas: 2
      selector:
        matchLabels:
          app.kubernetes.io/name: {{name}}
      template:
        metadata:
          labels:
            {{> labels}}
        spec:
          securityContext:
            {{> podSecurity}}
          containers:
            - name: server
              image: {{image}}
              imagePullPolicy: IfNotPresent
              securityContext:
                {{> containerSecurity}}
              ports:
                - name: http
                  containerPort: {{port}}
              env:
                - name: SPLITBOOK_REGISTRY
                  value: /registry
              livenessProbe:
                httpGet:
                  path: /healthz
                  port: http
                periodSeconds: 10
              readinessProbe:
                httpGet:
                  path: /readyz
                  port: http
                periodSeconds: 5
              resources:
                requests:
                  cpu: 250m
                  memory: 256Mi
                limits:
                  memory: 1Gi
              volumeMounts:
                - name: registry
                  mountPath: /registry
                  readOnly: true
          volumes:
            - name: registry
              persistentVolumeClaim:
                claimName: {{registry}}
                readOnly: true
    ---
    apiVersion: v1
    kind: Service
    metadata:
      name: {{name}}
      labels:
        {{> labels}}
    spec:
      selector:
        app.kubernetes.io/name: {{name}}
      ports:
        - name: http
          port: 80
          targetPort: http

    """#, partials: manifestPartials)

    static let registryClaimTemplate = TextTemplate("registry-pvc.yaml", #"""
    # The registry volume of '{{notebook}}', the only thing its two halves share: the offline
    # job writes it, the online Deployment reads it. Both exports carry this same claim; apply
    # it once, before either half (applying it again changes nothing).
    # ReadWriteMany, because the job and the service's pods may run on different nodes: the
    # cluster's storage class must offer it (NFS, CephFS, EFS, Filestore, Azure Files). On a
    # one-node cluster, ReadWriteOnce does.
    apiVersion: v1
    kind: PersistentVolumeClaim
    metadata:
      name: {{registry}}
      labels:
        app.kubernetes.io/name: {{registry}}
        app.kubernetes.io/part-of: splitbook
    spec:
      accessModes: [ReadWriteMany]
      resources:
        requests:
          storage: 1Gi

    """#)

    /// Partials of the manifests. They are included indented, on a line of their own, and
    /// every line of theirs gets that indentation (so they hold plain lines, no sections).
    private static let manifestPartials = [
        // The labels of every object and pod template.
        "labels": """
        app.kubernetes.io/name: {{name}}
        app.kubernetes.io/part-of: splitbook
        splitbook/half: {{half}}

        """,
        // One param as a container's environment variable (inside a {{#params}} section).
        // A pod's security context: the images' numeric user and group, and the volumes' group.
        "podSecurity": """
        runAsNonRoot: true
        runAsUser: {{uid}}
        runAsGroup: {{uid}}
        fsGroup: {{uid}}
        seccompProfile:
          type: RuntimeDefault

        """,
        // A container's security context.
        "containerSecurity": """
        allowPrivilegeEscalation: false
        capabilities:
          drop: [ALL]

        """,
        // The resources of a job's container (the whole job, or one cell of it).
        "jobResources": """
        requests:
          cpu: 500m
          memory: 512Mi
        limits:
          memory: 2Gi

        """,
        "paramEnv": """
        - name: PARAM_{{upperName}}
          value: {{value}}

        """,
    ]
}
