import SplitbookEngine
import SplitbookSpec

/// Writes `run.sh`, the offline half as a plain POSIX shell script that needs
/// no splitbook: each offline cell runs in dependency order in a fresh
/// directory holding copies of its declared inputs, with the environment of
/// CONTRACT §2, its declared outputs are checked, and its artifacts are
/// published into a registry directory in splitbook's on-disk layout (with
/// the same content hashes, so `splitbook serve` accepts them).
///
/// What the script does not do that `splitbook run` does: caching (a batch
/// job reruns everything), running independent cells in parallel (Argo does
/// that, one task per cell), and hiding the caller's other environment
/// variables. It stops at the first failing cell, like make.
struct BatchJobScript {
    let notebook: Notebook
    let graph: CellGraph
    /// The offline cells, in dependency order.
    let nodes: [Int]
    /// The params the offline cells see, with their defaults.
    let params: [Param]

    var text: String {
        var out = header
        out += "\n# Params: the defaults below, overridable through the environment.\n"
        for p in params {
            let v = shellVariable(p.name.value)
            out += "\(v)=${PARAM_\(p.name.value.uppercased())-\(Self.quote(p.value.environmentText))}\n"
            out += "unset PARAM_\(p.name.value.uppercased())\n"
        }
        out += "\n" + Self.library + "\n"
        for node in nodes { out += cellFunction(node) + "\n" }
        out += main
        return out
    }

    private var header: String {
        let ids = nodes.map { graph.cells[$0].id.value.rawValue }
        return """
        #!/bin/sh
        # The offline half of notebook '\(notebook.name)' as a batch job, exported by splitbook.
        # It needs a POSIX shell, coreutils and the cells' interpreters; not splitbook.
        #
        # Usage: sh run.sh [CELL...]     all offline cells in order, or just the named ones
        #        sh run.sh --list         the cells, in the order they run
        #
        # Environment:
        #   SPLITBOOK_REGISTRY   where artifacts are published (default: ./registry beside this script)
        #   SPLITBOOK_WORKDIR    the cells' directories (default: ./work beside this script)
        \(params.map { "#   PARAM_\($0.name.value.uppercased())\(String(repeating: " ", count: max(1, 18 - $0.name.value.count)))param '\($0.name.value)' (default: \($0.value.environmentText))" }.joined(separator: "\n"))
        #
        # Cells: \(ids.joined(separator: " "))
        set -eu

        JOB_DIR=$(cd "$(dirname "$0")" && pwd)
        REGISTRY=${SPLITBOOK_REGISTRY:-$JOB_DIR/registry}
        WORK=${SPLITBOOK_WORKDIR:-$JOB_DIR/work}
        NOTEBOOK=\(Self.quote(notebook.name))
        RUN_ID=${SPLITBOOK_RUN_ID:-job-$(date -u +%Y%m%d-%H%M%S)}

        """
    }

    private func shellVariable(_ param: String) -> String {
        "P_" + String(param.map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    private func cellFunction(_ node: Int) -> String {
        let cell = graph.cells[node]
        let id = cell.id.value.rawValue
        var lines: [String] = ["# Cell '\(id)'\(cell.publish.isEmpty ? "" : ": publishes " + cell.publish.map(\.artifact.value.rawValue).joined(separator: ", "))",
                               "cell_\(functionName(id))() {",
                               "  sb_begin \(Self.quote(id))"]
        for input in cell.inputs {
            let path = input.value
            if let up = graph.producers[path] {
                lines.append("  sb_input \(Self.quote(path.rawValue)) \"$WORK/\(graph.cells[up].id.value)/\(path.rawValue)\"")
            } else {
                lines.append("  sb_input \(Self.quote(path.rawValue)) \"$JOB_DIR/\(path.rawValue)\"")
            }
        }
        for use in cell.uses {
            let selector: String
            switch use.value.selector {
            case .version(let v): selector = String(v)
            case .alias(let a): selector = a
            }
            lines.append("  sb_use \(Self.quote(use.value.name.rawValue)) \(Self.quote(selector))")
        }
        let visible = cell.params.map { names in params.filter { p in names.contains { $0.value == p.name.value } } } ?? params
        let sorted = visible.sorted { $0.name.value < $1.name.value }
        let paramsJSON = sorted.map { p -> ShellString in
            let v = shellVariable(p.name.value)
            switch p.value {
            case .string: return .literal("\"\(p.name.value)\":\"") + .expansion("$(sb_json_string \"$\(v)\")") + .literal("\"")
            case .null: return .literal("\"\(p.name.value)\":") + .expansion("${\(v):-null}")
            default: return .literal("\"\(p.name.value)\":") + .expansion("$\(v)")
            }
        }
        lines.append("  printf '%s' \(ShellString.object(paramsJSON).quoted) > \"$meta/params.json\"")
        if !cell.publish.isEmpty {
            // Lineage records each param as the canonical JSON text of its value (a JSON string holding JSON).
            let recorded = sorted.map { p -> ShellString in
                let v = shellVariable(p.name.value)
                switch p.value {
                case .string:
                    return .literal("\"\(p.name.value)\":\"\\\"") + .expansion("$(sb_json_string \"$(sb_json_string \"$\(v)\")\")")
                        + .literal("\\\"\"")
                default:
                    return .literal("\"\(p.name.value)\":\"") + .expansion("$(sb_json_string \"$\(v)\")") + .literal("\"")
                }
            }
            lines.append("  lineage_params=\(ShellString.object(recorded).quoted)")
            lines.append("  lineage_inputs=\(Self.quote(cell.inputs.map(\.value.rawValue).joined(separator: " ")))")
        }
        let script = "$meta/\(id).\(cell.language.scriptExtension)"
        switch cell.source {
        case .inline(let code):
            let delimiter = heredocDelimiter(for: code)
            lines.append("  cat > \"\(script)\" <<'\(delimiter)'")
            // The here-document ends every line, the last one included.
            lines.append(code.hasSuffix("\n") ? String(code.dropLast()) : code)
            lines.append(delimiter)
        case .file(let path):
            lines.append("  cp \"$JOB_DIR/\(path.value.rawValue)\" \"\(script)\"")
        }
        lines.append("  sb_log \"running $cell\"")
        lines.append("  if ! (")
        lines.append("    cd \"$dir\"")
        for e in notebook.env + cell.env { lines.append("    export \(e.name.value)=\(Self.quote(e.value))") }
        for p in visible { lines.append("    export PARAM_\(p.name.value.uppercased())=\"$\(shellVariable(p.name.value))\"") }
        lines.append("    export SPLITBOOK_NOTEBOOK=\"$NOTEBOOK\" SPLITBOOK_CELL=\"$cell\" SPLITBOOK_PARAMS=\"$meta/params.json\"")
        lines.append("    export SPLITBOOK_DISPLAY=\"$meta/display\" SPLITBOOK_METRICS=\"$meta/metrics.json\" TMPDIR=\"$meta/tmp\"")
        if cell.language == .python {
            lines.append("    export PYTHONPATH=\"$JOB_DIR/support\" PYTHONDONTWRITEBYTECODE=1")
        }
        let command = cell.command.map(Self.quote).joined(separator: " ") + " \"\(script)\""
        if let timeout = cell.timeout {
            lines.append("    sb_with_timeout \(Int(timeout.rounded(.up))) \(command)")
        } else {
            lines.append("    exec \(command)")
        }
        lines.append("  ); then sb_fail \"cell '$cell' failed\"; fi")
        for output in cell.outputs { lines.append("  sb_output \(Self.quote(output.value.rawValue))") }
        for publication in cell.publish {
            lines.append("  sb_publish \(Self.quote(publication.artifact.value.rawValue)) \(Self.quote(publication.path.value.rawValue))")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    private var main: String {
        let ids = nodes.map { graph.cells[$0].id.value.rawValue }
        let cases = ids.map { "    \(Self.quote($0))) cell_\(functionName($0)) ;;" }.joined(separator: "\n")
        return """
        run_cell() {
          case "$1" in
        \(cases)
            *) echo "run.sh: no offline cell '$1' (cells: \(ids.joined(separator: " ")))" >&2; exit 2 ;;
          esac
        }

        if [ "${1:-}" = "--list" ]; then
          printf '%s\\n' \(ids.map(Self.quote).joined(separator: " "))
          exit 0
        fi
        if [ $# -eq 0 ]; then
          set -- \(ids.map(Self.quote).joined(separator: " "))
        fi
        for c in "$@"; do run_cell "$c"; done
        sb_log "done: $# cell(s); registry $REGISTRY"

        """
    }

    private func functionName(_ id: String) -> String { id.replacingOccurrences(of: "-", with: "_") }

    private func heredocDelimiter(for code: String) -> String {
        let lines = Set(code.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
        var delimiter = "SPLITBOOK_CODE"
        var n = 1
        while lines.contains(delimiter) {
            n += 1
            delimiter = "SPLITBOOK_CODE_\(n)"
        }
        return delimiter
    }

    /// A shell word that stands for `s` exactly.
    static func quote(_ s: String) -> String {
        if !s.isEmpty, s.unicodeScalars.allSatisfy({ ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || "_./-=:@,+".unicodeScalars.contains($0) }) {
            return s
        }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

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

/// Text for a double-quoted shell word, built from literal pieces (escaped)
/// and expansions (kept as written).
struct ShellString {
    var source = ""

    static func literal(_ text: String) -> ShellString {
        var out = ""
        for ch in text {
            if "\\\"$`".contains(ch) { out.append("\\") }
            out.append(ch)
        }
        return ShellString(source: out)
    }

    static func expansion(_ text: String) -> ShellString { ShellString(source: text) }

    static func + (a: ShellString, b: ShellString) -> ShellString { ShellString(source: a.source + b.source) }

    /// `{` members joined by commas `}`.
    static func object(_ members: [ShellString]) -> ShellString {
        var out = literal("{")
        for (n, m) in members.enumerated() { out = out + (n > 0 ? literal(",") : ShellString()) + m }
        return out + literal("}")
    }

    var quoted: String { "\"" + source + "\"" }
}
