# Sourced by the zoo scripts: makes a private, writable copy of the ONNX Runtime reference tools
# (../shared/tools/ort) with its npm packages installed, and exports ORT_DIR pointing at it.
# Needs node, npm and python3-onnx (whose .proto files the tools read); installs them when missing.
# ORT_SRC overrides where the tools are copied from; ORT_DIR, where the copy lives.

zoo_sudo() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

zoo_apt_install() {
    missing=""
    for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
    [ -z "$missing" ] && return 0
    echo "zoo: installing Debian packages:$missing" >&2
    zoo_sudo apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive zoo_sudo apt-get install -y -qq $missing >&2
}

zoo_find_ort_src() {
    here=$(cd "$(dirname "$0")" && pwd)
    for c in "${ORT_SRC:-}" "$here/../../../shared/tools/ort" "/work/shared/tools/ort"; do
        if [ -n "$c" ] && [ -f "$c/maketest.js" ]; then (cd "$c" && pwd); return 0; fi
    done
    echo "zoo: cannot find the ONNX Runtime tools (maketest.js); set ORT_SRC" >&2
    return 1
}

zoo_setup_ort() {
    # node/npm may come from elsewhere than Debian (e.g. nodesource bundles npm in nodejs)
    command -v node >/dev/null 2>&1 || zoo_apt_install nodejs
    command -v npm >/dev/null 2>&1 || zoo_apt_install npm
    zoo_apt_install python3-onnx
    src=$(zoo_find_ort_src) || return 1
    ORT_DIR=${ORT_DIR:-${TMPDIR:-/tmp}/cort-zoo-ort}
    mkdir -p "$ORT_DIR"
    # Refresh the scripts every time (cheap) but keep node_modules between runs.
    for f in "$src"/*.js "$src"/*.json "$src"/*.sh; do [ -f "$f" ] && cp "$f" "$ORT_DIR/"; done
    if [ ! -d "$ORT_DIR/node_modules/onnxruntime-node" ]; then
        echo "zoo: npm install --ignore-scripts in $ORT_DIR" >&2
        (cd "$ORT_DIR" && npm install --ignore-scripts --no-audit --no-fund >&2)
    fi
    export ORT_DIR
}
