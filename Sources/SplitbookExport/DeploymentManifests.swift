import SplitbookEngine
import SplitbookSpec

/// The container and Kubernetes files of the two exports. Both halves mount
/// the same registry volume (`<name>-registry`): it is all they share.
enum DeploymentManifests {
    /// Port the serving container listens on.
    static let port = 8080

    /// The base image that has the cells' interpreters, and what to add to it.
    static func baseImage(for cells: [CodeCell]) -> (from: String, setup: [String]) {
        let languages = Set(cells.map(\.language.description))
        let others = cells.compactMap { cell -> String? in
            if case .other = cell.language { return cell.command.first } else { return nil }
        }
        var setup: [String] = []
        let from: String
        if languages.contains("swift") {
            from = "swift:6.0-jammy"
            if languages.contains("python") {
                setup.append("RUN apt-get update && apt-get install -y --no-install-recommends python3 && rm -rf /var/lib/apt/lists/*")
            }
        } else {
            from = "python:3.11-slim"
        }
        for command in Set(others).sorted() {
            setup.append("# The cells also run `\(command)`: install it here.")
        }
        return (from, setup)
    }

    static func offlineDockerfile(notebook: String, cells: [CodeCell]) -> String {
        let image = baseImage(for: cells)
        let dns = NotebookHalf.dnsName(notebook)
        return """
        # The offline half of notebook '\(notebook)': a batch job (see README.md).
        #   docker build -t \(dns)-offline .
        #   docker run --rm -v "$PWD/registry:/registry" \(dns)-offline
        FROM \(image.from)
        \(image.setup.map { $0 + "\n" }.joined())RUN useradd --create-home --uid 10001 job && mkdir -p /registry /work && chown job /registry /work
        WORKDIR /job
        COPY --chown=job . /job
        USER job
        ENV SPLITBOOK_REGISTRY=/registry SPLITBOOK_WORKDIR=/work
        VOLUME ["/registry"]
        ENTRYPOINT ["sh", "/job/run.sh"]

        """
    }

    static func onlineDockerfile(notebook: String, cells: [CodeCell]) -> String {
        let image = baseImage(for: cells)
        let dns = NotebookHalf.dnsName(notebook)
        return """
        # The online half of notebook '\(notebook)': a serving bundle run by `splitbook serve` (see README.md).
        # bin/splitbook must be a Linux build of splitbook (`splitbook export online --binary PATH` puts it there).
        #   docker build -t \(dns)-online .
        #   docker run --rm -p \(port):\(port) -v "$PWD/registry:/registry:ro" \(dns)-online
        FROM \(image.from)
        \(image.setup.map { $0 + "\n" }.joined())RUN useradd --create-home --uid 10001 app
        COPY --chown=app . /srv/bundle
        RUN install -m 0755 /srv/bundle/bin/splitbook /usr/local/bin/splitbook
        USER app
        WORKDIR /home/app
        ENV SPLITBOOK_REGISTRY=/registry
        EXPOSE \(port)
        HEALTHCHECK --interval=10s --timeout=2s CMD python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:\(port)/healthz')"
        CMD ["splitbook", "serve", "/srv/bundle", "--host", "0.0.0.0", "--port", "\(port)", "--outputs", "/tmp/splitbook"]

        """
    }

    static let dockerignore = "work/\nregistry/\n"

    private static func labels(_ name: String, half: String, indent: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        return "\(pad)app.kubernetes.io/name: \(name)\n\(pad)app.kubernetes.io/part-of: splitbook\n\(pad)splitbook/half: \(half)\n"
    }

    private static func paramEnv(_ params: [Param], indent: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        return params.map {
            "\(pad)- name: PARAM_\($0.name.value.uppercased())\n\(pad)  value: \(NotebookYAML.scalar($0.value.environmentText, forceString: true))\n"
        }.joined()
    }

    static func cronJob(notebook: String, params: [Param], schedule: String) -> String {
        let name = NotebookHalf.dnsName(notebook) + "-offline"
        let registry = NotebookHalf.dnsName(notebook) + "-registry"
        return """
        # The offline half of '\(notebook)' on a schedule. It publishes into the registry volume
        # '\(registry)', which the online Deployment mounts read-only.
        apiVersion: batch/v1
        kind: CronJob
        metadata:
          name: \(name)
          labels:
        \(labels(name, half: "offline", indent: 4))spec:
          schedule: \(NotebookYAML.scalar(schedule, forceString: true))
          concurrencyPolicy: Forbid
          successfulJobsHistoryLimit: 3
          failedJobsHistoryLimit: 3
          jobTemplate:
            spec:
              backoffLimit: 1
              template:
                metadata:
                  labels:
        \(labels(name, half: "offline", indent: 12))        spec:
                  restartPolicy: Never
                  securityContext:
                    runAsUser: 10001
                    fsGroup: 10001
                  containers:
                    - name: job
                      image: \(name):latest
                      command: [sh, /job/run.sh]
                      env:
                        - name: SPLITBOOK_REGISTRY
                          value: /registry
                        - name: SPLITBOOK_WORKDIR
                          value: /work
        \(paramEnv(params, indent: 16))              volumeMounts:
                        - name: registry
                          mountPath: /registry
                        - name: work
                          mountPath: /work
                  volumes:
                    - name: registry
                      persistentVolumeClaim:
                        claimName: \(registry)
                    - name: work
                      emptyDir: {}

        """
    }

    /// An Argo Workflow: one DAG task per offline cell, dependencies from the
    /// notebook's graph, the cells' directories on a shared volume.
    static func workflow(notebook: String, graph: CellGraph, nodes: [Int], params: [Param]) -> String {
        let name = NotebookHalf.dnsName(notebook) + "-offline"
        let registry = NotebookHalf.dnsName(notebook) + "-registry"
        var taskNames: [Int: String] = [:]
        var used = Set<String>()
        for node in nodes {
            var candidate = NotebookHalf.dnsName(graph.cells[node].id.value.rawValue)
            var n = 2
            while used.contains(candidate) { candidate = NotebookHalf.dnsName(graph.cells[node].id.value.rawValue) + "-\(n)"; n += 1 }
            used.insert(candidate)
            taskNames[node] = candidate
        }
        var tasks = ""
        for node in nodes {
            let deps = Set(graph.upstream[node].map(\.from)).filter { taskNames[$0] != nil }.sorted().map { taskNames[$0]! }
            tasks += "          - name: \(taskNames[node]!)\n"
            tasks += "            template: cell\n"
            if !deps.isEmpty { tasks += "            dependencies: [\(deps.joined(separator: ", "))]\n" }
            tasks += "            arguments:\n              parameters:\n                - name: cell\n"
            tasks += "                  value: \(NotebookYAML.scalar(graph.cells[node].id.value.rawValue, forceString: true))\n"
        }
        return """
        # The offline half of '\(notebook)' as an Argo Workflow: one DAG task per cell,
        # run in dependency order, sharing the cells' directories on the 'work' volume and
        # publishing into the registry volume '\(registry)'.
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata:
          generateName: \(name)-
          labels:
        \(labels(name, half: "offline", indent: 4))spec:
          entrypoint: pipeline
          securityContext:
            runAsUser: 10001
            fsGroup: 10001
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
                claimName: \(registry)
          templates:
            - name: pipeline
              dag:
                tasks:
        \(tasks)    - name: cell
              inputs:
                parameters:
                  - name: cell
              container:
                image: \(name):latest
                command: [sh, /job/run.sh]
                args: ["{{inputs.parameters.cell}}"]
                env:
                  - name: SPLITBOOK_REGISTRY
                    value: /registry
                  - name: SPLITBOOK_WORKDIR
                    value: /work
                  - name: SPLITBOOK_RUN_ID
                    value: "{{workflow.name}}"
        \(paramEnv(params, indent: 10))        volumeMounts:
                  - name: work
                    mountPath: /work
                  - name: registry
                    mountPath: /registry

        """
    }

    static func deployment(notebook: String) -> String {
        let name = NotebookHalf.dnsName(notebook) + "-online"
        let registry = NotebookHalf.dnsName(notebook) + "-registry"
        return """
        # The online half of '\(notebook)': `splitbook serve` behind a Service. It reads the
        # registry volume '\(registry)' (written by the offline job) and never writes to it.
        # After the job publishes, `kubectl rollout restart deployment/\(name)` or
        # POST /admin/reload on each pod picks up the new versions.
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: \(name)
          labels:
        \(labels(name, half: "online", indent: 4))spec:
          replicas: 2
          selector:
            matchLabels:
              app.kubernetes.io/name: \(name)
          template:
            metadata:
              labels:
        \(labels(name, half: "online", indent: 8))    spec:
              securityContext:
                runAsUser: 10001
              containers:
                - name: server
                  image: \(name):latest
                  ports:
                    - name: http
                      containerPort: \(port)
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
                  volumeMounts:
                    - name: registry
                      mountPath: /registry
                      readOnly: true
              volumes:
                - name: registry
                  persistentVolumeClaim:
                    claimName: \(registry)
                    readOnly: true
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: \(name)
          labels:
        \(labels(name, half: "online", indent: 4))spec:
          selector:
            app.kubernetes.io/name: \(name)
          ports:
            - name: http
              port: 80
              targetPort: http

        """
    }
}
