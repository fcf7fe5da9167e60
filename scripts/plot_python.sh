# Sourced by the scripts that draw plots: sets PY to a python3 that has
# matplotlib, installing Debian's python3-matplotlib when it is missing.
# Debian's package is for Debian's python3 (/usr/bin/python3), which may not
# be the first python3 on PATH (pyenv, venvs).
PY=python3
if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; fi
if ! "$PY" -c 'import matplotlib' 2>/dev/null; then
  echo "uvmsim: installing python3-matplotlib"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends python3-matplotlib </dev/null
fi
