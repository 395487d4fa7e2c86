#!/usr/bin/env bash
# Builds the MCP Bundle for Claude Desktop: target/bundle/leads-mcp-<version>-<os>-<arch>.mcpb.
#
#   bash bundle/build.sh [path/to/leads-mcp]
#
# The binary defaults to target/dist/leads-mcp (the shipped build, made with
# cargo build --profile dist --locked when missing). Its manifest.json is written by the binary
# from the catalog (`leads-mcp bundle-manifest`): tools, prompts and
# user_config are never written by hand. @anthropic-ai/mcpb 2.1.2 is
# installed exactly as bundle/package-lock.json locks it (npm ci), then
# validates the manifest and packs the bundle. Also writes
# target/bundle/server.json: ./server.json with the bundle's URL and sha256.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${1:-target/dist/leads-mcp}
if [ ! -x "$bin" ]; then
  echo "== building $bin"
  cargo build --profile dist --locked
fi

stamp=$(cat bundle/package.json bundle/package-lock.json | sha256sum | cut -d' ' -f1)
if [ "$(cat bundle/node_modules/.leads-bundle-stamp 2>/dev/null)" != "$stamp" ]; then
  echo "== installing @anthropic-ai/mcpb from bundle/package-lock.json"
  (cd bundle && npm ci --no-audit --no-fund --loglevel=error)
  echo "$stamp" > bundle/node_modules/.leads-bundle-stamp
fi
mcpb=bundle/node_modules/.bin/mcpb

version=$("$bin" --version | awk '{print $2}')
case "$(uname -s)" in Darwin) os=darwin ;; MINGW*|MSYS*|CYGWIN*) os=win32 ;; *) os=linux ;; esac
case "$(uname -m)" in x86_64|amd64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
out=target/bundle
stage=$out/leads-mcp
file=leads-mcp-$version-$os-$arch.mcpb

rm -rf "$stage" "$out/$file"
mkdir -p "$stage/server"
cp "$bin" "$stage/server/leads-mcp"
cp LICENSE "$stage/LICENSE"
"$bin" bundle-manifest > "$stage/manifest.json"

echo "== mcpb validate"
"$mcpb" validate "$stage/manifest.json"
echo "== mcpb pack"
"$mcpb" pack "$stage" "$out/$file"

sha=$(sha256sum "$out/$file" | cut -d' ' -f1)
node -e '
  const fs = require("fs");
  const [src, dst, version, file, sha] = process.argv.slice(1);
  const doc = JSON.parse(fs.readFileSync(src, "utf8"));
  for (const p of doc.packages) {
    if (p.registryType !== "mcpb") continue;
    p.identifier = `https://github.com/leads-mcp/leads-mcp/releases/download/v${version}/${file}`;
    p.fileSha256 = sha;
  }
  fs.writeFileSync(dst, JSON.stringify(doc, null, 2) + "\n");
' server.json "$out/server.json" "$version" "$file" "$sha"
echo "built $out/$file (sha256 $sha) and $out/server.json"
