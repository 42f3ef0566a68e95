# Sourced by the zoo scripts. Sets up ONNX Runtime as the reference and exports ORT_MAKETEST, a command
# `$ORT_MAKETEST MODEL OUTDIR [--int-range NAME=LO:HI]` that writes a backend-style test folder:
#  - node: a private, writable copy of the Node.js tools in ../shared/tools/ort (onnxruntime-node 1.30,
#    maketest.js) with their npm packages; ORT_DIR is where the copy lives. Used when those tools exist.
#  - python: tools/zoo/ort_reference.py in a virtual environment with onnxruntime 1.30 from PyPI over
#    Debian's numpy and onnx (for checkouts without ../shared, e.g. CI).
# ZOO_ORT=node|python forces one; ORT_SRC says where the Node.js tools are; ORT_DIR and ZOO_VENV where
# the private copies go. Missing Debian packages are installed.

ZOO_ORT_VERSION=1.30.0

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
    zoo_here=$(cd "$(dirname "$0")" && pwd)
    for c in "${ORT_SRC:-}" "$zoo_here/../../../shared/tools/ort" "/work/shared/tools/ort"; do
        if [ -n "$c" ] && [ -f "$c/maketest.js" ]; then (cd "$c" && pwd); return 0; fi
    done
    return 1
}

# The Node.js tools (also needed by ort_conformance.sh for conformance.js).
zoo_setup_ort_node() {
    src=$(zoo_find_ort_src) || { echo "zoo: cannot find the ONNX Runtime Node.js tools (maketest.js); set ORT_SRC" >&2; return 1; }
    # node/npm may come from elsewhere than Debian (e.g. nodesource bundles npm in nodejs)
    command -v node >/dev/null 2>&1 || zoo_apt_install nodejs
    command -v npm >/dev/null 2>&1 || zoo_apt_install npm
    zoo_apt_install python3-onnx  # the tools read ONNX's .proto files from it
    ORT_DIR=${ORT_DIR:-${TMPDIR:-/tmp}/cort-zoo-ort}
    mkdir -p "$ORT_DIR"
    # Refresh the scripts every time (cheap) but keep node_modules between runs.
    for f in "$src"/*.js "$src"/*.json "$src"/*.sh; do [ -f "$f" ] && cp "$f" "$ORT_DIR/"; done
    if [ ! -d "$ORT_DIR/node_modules/onnxruntime-node" ]; then
        echo "zoo: npm install --ignore-scripts in $ORT_DIR" >&2
        (cd "$ORT_DIR" && npm install --ignore-scripts --no-audit --no-fund >&2)
    fi
    ORT_MAKETEST="node $ORT_DIR/maketest.js"
    export ORT_DIR ORT_MAKETEST
}

zoo_setup_ort_python() {
    zoo_apt_install python3-venv python3-pip python3-numpy python3-onnx
    ZOO_VENV=${ZOO_VENV:-${TMPDIR:-/tmp}/cort-zoo-venv}
    if ! "$ZOO_VENV/bin/python" -c "import onnxruntime" >/dev/null 2>&1; then
        echo "zoo: pip install onnxruntime==$ZOO_ORT_VERSION into $ZOO_VENV" >&2
        /usr/bin/python3 -m venv --system-site-packages "$ZOO_VENV" >&2
        "$ZOO_VENV/bin/pip" install -q "onnxruntime==$ZOO_ORT_VERSION" >&2
    fi
    ORT_MAKETEST="$ZOO_VENV/bin/python $(cd "$(dirname "$0")" && pwd)/ort_reference.py"
    export ORT_MAKETEST
}

zoo_setup_ort() {
    case "${ZOO_ORT:-}" in
        node) zoo_setup_ort_node ;;
        python) zoo_setup_ort_python ;;
        "") if zoo_find_ort_src >/dev/null; then zoo_setup_ort_node; else zoo_setup_ort_python; fi ;;
        *) echo "zoo: ZOO_ORT must be node or python" >&2; return 1 ;;
    esac
}
