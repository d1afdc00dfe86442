# Recipes mirror the npm scripts (`just` comes from the rust-just devDependency: `npx just <recipe>`).
# Arguments pass through unchanged ("$@"), never re-split by the shell: `npx just cli rollout create
# 1.0.2 --notes "two words"` gives the CLI the two words as one argument.
set positional-arguments

default:
    @just --list

# Install dependencies
install:
    npm install

# Run the gateway on the embedded store (DATA_DIR, default ./data)
start:
    npm start

# Bundle the gateway into .build/gateway.mjs (what `npm start` runs)
build:
    npm run build

# Type-check everything (server, CLI, scripts, tests)
typecheck:
    npm run typecheck

# Type-check, build the host firmware, run every test suite
test *FILTER:
    npm test -- "$@"

# Regenerate the shared test vectors in tests/vectors/
vectors *ARGS:
    npm run vectors -- "$@"

# Run the benchmarks (writes scripts/bench/results.json)
bench *SUITES:
    npm run bench -- "$@"

# The fleetgate CLI, e.g. `just cli device list`
cli *ARGS:
    @node cli/bin.js "$@"
