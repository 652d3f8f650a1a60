#!/usr/bin/env bash
# The Harness history of the shared corpus through scripts/import-corpus.sh (see there):
#   scripts/import-corpus-harness.sh [CORPUS_DIR]   # default: ../shared/corpus
exec "$(dirname "$0")/import-corpus.sh" harness "$@"
