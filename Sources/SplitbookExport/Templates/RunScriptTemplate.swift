extension BatchJobScript {
    /// `run.sh`. Its context is `BatchJobScript.Context`; every value is a
    /// shell word already (`quote`, `ShellString`) except the names in comments.
    static let template = TextTemplate("run.sh", #"""
    #!/bin/sh
    # The offline half of notebook '{{notebookName}}' as a batch job, exported by splitbook.
    # It needs a POSIX shell, coreutils and the cells' interpreters; not splitbook.
    #
    # Usage: sh run.sh [CELL...]     all offline cells in order, or just the named ones
    #        sh run.sh --list         the cells, in the order they run
    #
    # Environment:
    #   SPLITBOOK_REGISTRY   where artifacts are published (default: ./registry beside this script)
    #   SPLITBOOK_WORKDIR    the cells' directories (default: ./work beside this script)
    {{#environments}}
    #   {{variable}}{{alignment}}the Python of cells {{cellList}} (default: $SPLITBOOK_PYTHON, else
    #   {{padding}}python3); it must hold exactly {{pinsFile}} (checked before the first cell)
    {{/environments}}
    {{#hasEnvironments}}
    #   SPLITBOOK_ALLOW_SKEW=1   run although an installed version differs from the lock
    {{/hasEnvironments}}
    {{#params}}
    #   PARAM_{{upperName}}{{alignment}}param '{{name}}' (default: {{defaultText}})
    {{/params}}
    #
    # Cells: {{cellList}}
    set -eu

    JOB_DIR=$(cd "$(dirname "$0")" && pwd)
    REGISTRY=${SPLITBOOK_REGISTRY:-$JOB_DIR/registry}
    WORK=${SPLITBOOK_WORKDIR:-$JOB_DIR/work}
    NOTEBOOK={{notebookWord}}
    RUN_ID=${SPLITBOOK_RUN_ID:-job-$(date -u +%Y%m%d-%H%M%S)}

    # Params: the defaults below, overridable through the environment.
    {{#params}}
    {{variable}}=${PARAM_{{upperName}}-{{defaultWord}}}
    unset PARAM_{{upperName}}
    {{/params}}
    {{#hasEnvironments}}

    # The Python of each locked environment (see the header).
    {{/hasEnvironments}}
    {{#environments}}
    {{assignment}}
    {{/environments}}

    {{> library}}
    {{#cells}}
    # Cell '{{id}}'{{#publishList}}: publishes {{.}}{{/publishList}}
    cell_{{functionName}}() {
      sb_begin {{idWord}}
      {{#inputs}}
      sb_input {{pathWord}} {{sourceWord}}
      {{/inputs}}
      {{#uses}}
      sb_use {{artifactWord}} {{selectorWord}}
      {{/uses}}
      printf '%s' {{paramsJSON}} > "$meta/params.json"
      {{#lineage}}
      lineage_params={{lineageParams}}
      lineage_inputs={{lineageInputs}}
      {{/lineage}}
      {{#inlineCode}}
      cat > {{scriptWord}} <<'{{delimiter}}'
    {{code}}
    {{delimiter}}
      {{/inlineCode}}
      {{#sourceFile}}
      cp {{sourceWord}} {{scriptWord}}
      {{/sourceFile}}
      sb_log "running $cell"
      if ! (
        cd "$dir"
        {{#env}}
        export {{name}}={{valueWord}}
        {{/env}}
        {{#visibleParams}}
        export PARAM_{{upperName}}="${{variable}}"
        {{/visibleParams}}
        export SPLITBOOK_NOTEBOOK="$NOTEBOOK" SPLITBOOK_CELL="$cell" SPLITBOOK_PARAMS="$meta/params.json"
        export SPLITBOOK_DISPLAY="$meta/display" SPLITBOOK_METRICS="$meta/metrics.json" TMPDIR="$meta/tmp"
        {{#python}}
        export PYTHONPATH="$JOB_DIR/support" PYTHONDONTWRITEBYTECODE=1
        {{/python}}
        {{#timeoutSeconds}}
        sb_with_timeout {{.}} {{command}}
        {{/timeoutSeconds}}
        {{^timeoutSeconds}}
        exec {{command}}
        {{/timeoutSeconds}}
      ); then sb_fail "cell '$cell' failed"; fi
      {{#outputs}}
      sb_output {{.}}
      {{/outputs}}
      {{#publish}}
      sb_publish {{artifactWord}} {{pathWord}}
      {{/publish}}
    }

    {{/cells}}
    run_cell() {
      case "$1" in
        {{#cells}}
        {{idWord}}) cell_{{functionName}} ;;
        {{/cells}}
        *) echo "run.sh: no offline cell '$1' (cells: {{cellList}})" >&2; exit 2 ;;
      esac
    }

    if [ "${1:-}" = "--list" ]; then
      printf '%s\n' {{cellWords}}
      exit 0
    fi
    if [ $# -eq 0 ]; then
      set -- {{cellWords}}
    fi
    {{#environments}}
    sb_check_environment "${{variable}}" "$JOB_DIR/{{pinsFile}}"
    {{/environments}}
    for c in "$@"; do run_cell "$c"; done
    sb_log "done: $# cell(s); registry $REGISTRY"

    """#, partials: ["library": library])

    /// The functions every exported job uses. Digests follow `Digest` and
    /// `Tree` exactly (SHA-256; the chunked scheme from 64 MiB; the tree
    /// manifest), so versions published here verify in splitbook.
    static let library = #"""
    # ---- splitbook job library ------------------------------------------------
    sb_log() { printf 'run.sh: %s\n' "$*" >&2; }
    sb_fail() { sb_log "error: $*"; exit 1; }

    # sb_begin CELL: a fresh directory for the cell ($dir) and one beside it ($meta).
    sb_begin() {
      cell=$1
      dir=$WORK/$cell
      meta=$WORK/.meta/$cell
      rm -rf "$dir" "$meta"
      mkdir -p "$dir" "$meta/display" "$meta/tmp"
    }

    # sb_input PATH SOURCE: copies a declared input into the cell's directory.
    sb_input() {
      [ -e "$2" ] || sb_fail "cell '$cell' needs '$1', but $2 does not exist (run its producer first)"
      mkdir -p "$(dirname "$dir/$1")"
      cp -R "$2" "$dir/$1"
    }

    # sb_output PATH: a declared output must exist after the cell ran.
    sb_output() {
      [ -e "$dir/$1" ] || sb_fail "cell '$cell' exited 0 but did not write its declared output '$1'"
    }

    # sb_with_timeout SECONDS COMMAND...: runs the command, killed after SECONDS.
    sb_with_timeout() {
      secs=$1
      shift
      if command -v timeout >/dev/null 2>&1; then exec timeout -s KILL "$secs" "$@"; fi
      exec "$@"
    }

    # sb_check_environment PYTHON PINS: the packages PYTHON imports must be exactly the
    # lock's (PINS: name==version lines). Names every difference: a job whose packages
    # differ from the notebook's computes something else (skew).
    sb_check_environment() {
      "$1" - "$2" <<'SPLITBOOK_CHECK' || [ "${SPLITBOOK_ALLOW_SKEW:-}" = 1 ] || sb_fail "the Python environment differs from the lock (SPLITBOOK_ALLOW_SKEW=1 runs anyway)"
    import sys, importlib.metadata as md
    problems = []
    for line in open(sys.argv[1], encoding="utf-8"):
        line = line.split("#")[0].strip()
        if not line:
            continue
        name, _, wanted = line.partition("==")
        try:
            found = md.version(name)
        except md.PackageNotFoundError:
            problems.append(f"{name}: the lock has {wanted}, not installed")
            continue
        if found != wanted:
            problems.append(f"{name}: the lock has {wanted}, installed {found}")
    for p in problems:
        print(f"run.sh: environment skew ({sys.executable}): {p}", file=sys.stderr)
    sys.exit(1 if problems else 0)
    SPLITBOOK_CHECK
    }

    sb_json_string() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr '\n\t' '  '; }

    # sb_hex_to_bytes: hex digits on stdin -> the bytes they spell.
    sb_hex_to_bytes() {
      LC_ALL=C awk '{ for (i = 1; i < length($0); i += 2) printf "%c", (index("0123456789abcdef", substr($0, i, 1)) - 1) * 16 + index("0123456789abcdef", substr($0, i + 1, 1)) - 1 }'
    }

    # sb_file_digest FILE: SHA-256, or from 64 MiB on, SHA-256 over a header and each 16 MiB chunk's SHA-256.
    sb_file_digest() {
      size=$(wc -c < "$1" | tr -d ' ')
      if [ "$size" -lt 67108864 ]; then sha256sum < "$1" | cut -c1-64; return; fi
      chunks=$(( (size + 16777215) / 16777216 ))
      {
        printf 'splitbook-chunked-sha256 1 16777216 %s\n' "$size"
        i=0
        while [ "$i" -lt "$chunks" ]; do
          dd if="$1" bs=16777216 skip="$i" count=1 2>/dev/null | sha256sum | cut -c1-64 | sb_hex_to_bytes
          i=$((i + 1))
        done
      } | sha256sum | cut -c1-64
    }

    # sb_tree_manifest DIR: the directory as splitbook's tree manifest (see Tree.swift).
    sb_tree_manifest() {
      printf 'splitbook-tree 1\n'
      (cd "$1" && find . -mindepth 1 -print) | LC_ALL=C sort | while IFS= read -r p; do
        rel=${p#./}
        if [ -L "$1/$rel" ]; then
          printf 'l %s %s\n' "$(printf '%s' "$(readlink "$1/$rel")" | sha256sum | cut -c1-64)" "$rel"
        elif [ -f "$1/$rel" ]; then
          x=-; [ -x "$1/$rel" ] && x=x
          printf 'f %s %s %s\n' "$(sb_file_digest "$1/$rel")" "$x" "$rel"
        elif [ -d "$1/$rel" ] && [ -z "$(ls -A "$1/$rel")" ]; then
          printf 'd %s\n' "$rel"
        fi
      done
    }

    # sb_digest PATH: the content digest of a file or directory, as splitbook computes it.
    sb_digest() {
      if [ -d "$1" ]; then sb_tree_manifest "$1" | sha256sum | cut -c1-64; else sb_file_digest "$1"; fi
    }

    # sb_use NAME SELECTOR: copies a registry artifact to artifacts/NAME (SELECTOR: a version or an alias).
    sb_use() {
      case "$2" in
        *[!0-9]*) v=$(cat "$REGISTRY/$1/aliases/$2" 2>/dev/null) || sb_fail "cell '$cell' uses '$1@$2', which the registry at $REGISTRY does not have" ;;
        *) v=$2 ;;
      esac
      [ -e "$REGISTRY/$1/versions/$v/content" ] || sb_fail "cell '$cell' uses '$1' version $v, which the registry at $REGISTRY does not have"
      mkdir -p "$dir/artifacts"
      cp -R "$REGISTRY/$1/versions/$v/content" "$dir/artifacts/$1"
    }

    sb_now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

    sb_history() { # NAME ACTION VERSION NOTE
      printf '{"action":"%s","alias":"latest","note":"%s","time":"%s","version":%s}\n' "$2" "$(sb_json_string "$4")" "$(sb_now)" "$3" >> "$REGISTRY/$1/history.jsonl"
    }

    sb_set_latest() { # NAME VERSION
      printf '%s\n' "$2" > "$REGISTRY/$1/aliases/.latest.$$"
      mv -f "$REGISTRY/$1/aliases/.latest.$$" "$REGISTRY/$1/aliases/latest"
    }

    # sb_publish NAME PATH: publishes the cell's output PATH as a version of artifact NAME,
    # unless a version with the same content exists (then `latest` moves to it).
    sb_publish() {
      src=$dir/$2
      mkdir -p "$REGISTRY/$1/versions" "$REGISTRY/$1/aliases" "$REGISTRY/.tmp"
      if [ -d "$src" ]; then
        kind=tree
        size=$(sb_tree_manifest "$src" | wc -c | tr -d ' ')
      else
        kind=file
        size=$(wc -c < "$src" | tr -d ' ')
      fi
      digest=$(sb_digest "$src")
      if command -v flock >/dev/null 2>&1; then exec 9>>"$REGISTRY/.lock"; flock 9; fi
      latest=$(cat "$REGISTRY/$1/aliases/latest" 2>/dev/null || true)
      versions=$(ls "$REGISTRY/$1/versions" | grep -E '^[0-9]+$' | sort -n || true)
      for v in $(printf '%s\n' $versions | sort -rn); do
        if grep -q "\"contentHash\" *: *\"$digest\"" "$REGISTRY/$1/versions/$v/lineage.json" 2>/dev/null; then
          if [ "$latest" != "$v" ]; then
            sb_set_latest "$1" "$v"
            sb_history "$1" publish "$v" "identical content: no new version"
          fi
          sb_log "$1: identical to version $v (no new version)"
          if command -v flock >/dev/null 2>&1; then flock -u 9; fi
          return 0
        fi
      done
      v=$(( $(printf '%s\n' $versions | tail -n 1) + 1 ))
      stage=$REGISTRY/.tmp/$1-$v-$$
      rm -rf "$stage"
      mkdir -p "$stage"
      cp -R "$src" "$stage/content"
      inputs=$(cd "$dir" && for p in $lineage_inputs; do printf '"%s":"%s",' "$p" "$(sb_digest "$p")"; done)
      cat > "$stage/lineage.json" <<EOF
    {
      "artifact" : "$1",
      "cell" : "$cell",
      "contentHash" : "$digest",
      "inputs" : {${inputs%,}},
      "kind" : "$kind",
      "notebook" : "$NOTEBOOK",
      "notebookPath" : "notebook.yaml",
      "params" : $lineage_params,
      "publishedAt" : "$(sb_now)",
      "runID" : "$RUN_ID",
      "size" : $size,
      "version" : $v
    }
    EOF
      mv "$stage" "$REGISTRY/$1/versions/$v"
      sb_set_latest "$1" "$v"
      sb_history "$1" publish "$v" "$NOTEBOOK/$cell run $RUN_ID (run.sh)"
      sb_log "$1: published version $v"
      if command -v flock >/dev/null 2>&1; then flock -u 9; fi
    }

    # ---- end of library -------------------------------------------------------

    """#
}
