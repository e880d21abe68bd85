extension NotebookYAML {
    /// `notebook.yaml` of an export. Context: `NotebookYAML.Context`; every
    /// value is YAML text already (a scalar or a flow collection, see `scalar`
    /// and `value`), and literal blocks come as a header (` |`, its indicators)
    /// and lines that the template indents.
    static let template = TextTemplate("notebook.yaml", #"""
    splitbook: 1
    {{#title}}
    title: {{.}}
    {{/title}}
    {{#description}}
    description:{{header}}
    {{#lines}}
    {{^blank}}  {{line}}{{/blank}}
    {{/lines}}
    {{/description}}
    {{#hasParams}}
    params:
    {{/hasParams}}
    {{#params}}
      {{key}}: {{value}}
    {{/params}}
    {{#hasEnv}}
    env:
    {{/hasEnv}}
    {{#env}}
      {{key}}: {{value}}
    {{/env}}
    {{#latencyBudget}}
    latency_budget_ms: {{.}}
    {{/latencyBudget}}
    {{#python}}
    python: {{.}}
    {{/python}}
    cells:
    {{#cells}}
    {{^first()}}

    {{/first()}}
    {{#markdown}}
      - markdown:{{header}}
    {{#lines}}
    {{^blank}}      {{line}}{{/blank}}
    {{/lines}}
    {{/markdown}}
    {{#code}}
      - id: {{id}}
    {{#online}}
        stage: online
    {{/online}}
        lang: {{lang}}
    {{#interpreter}}
        interpreter: {{.}}
    {{/interpreter}}
    {{#needs}}
        needs: {{.}}
    {{/needs}}
    {{#inputs}}
        inputs: {{.}}
    {{/inputs}}
    {{#outputs}}
        outputs: {{.}}
    {{/outputs}}
    {{#cellParams}}
        params: {{.}}
    {{/cellParams}}
    {{#cellEnv}}
        env: {{.}}
    {{/cellEnv}}
    {{#secrets}}
        secrets: {{.}}
    {{/secrets}}
    {{#publish}}
        publish: {{.}}
    {{/publish}}
    {{#uses}}
        uses: {{.}}
    {{/uses}}
    {{#sample}}
        sample: {{.}}
    {{/sample}}
    {{#timeout}}
        timeout: {{.}}
    {{/timeout}}
    {{#noCache}}
        cache: false
    {{/noCache}}
    {{#cellLatencyBudget}}
        latency_budget_ms: {{.}}
    {{/cellLatencyBudget}}
    {{#cellPython}}
        python: {{.}}
    {{/cellPython}}
    {{#cellParity}}
        parity: {{.}}
    {{/cellParity}}
    {{#requestSchema}}
        request_schema: {{.}}
    {{/requestSchema}}
    {{#inlineCode}}
        code:{{header}}
    {{#lines}}
    {{^blank}}      {{line}}{{/blank}}
    {{/lines}}
    {{/inlineCode}}
    {{#file}}
        file: {{.}}
    {{/file}}
    {{/code}}
    {{/cells}}

    """#)
}
