# Sourced by deploy/serve and .ci/run: make sure ./.venv exists and holds the project with the
# given extras ("" for none). Idempotent and quiet; re-installs when pyproject.toml changes.
ensure_venv() {
  local extras="$1" python="${PYTHON:-python3}" stamp
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "timer-gateway needs Python 3.11 or newer ($python is older)" >&2; return 1; }
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  stamp=".venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)-${extras:-none}"
  if [ ! -e "$stamp" ]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras:+[$extras]}"
    rm -f .venv/.installed-*
    touch "$stamp"
  fi
}
