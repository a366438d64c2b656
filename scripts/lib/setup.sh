# Idempotent installers shared by the README's two commands. Source, then call.
# Each checks first and installs only what is missing, so reruns cost nothing.

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
  fi
}
