#!/usr/bin/env bash
# A real, local Kubernetes control plane with fake (kwok) accelerator nodes, for integration tests.
#
#   tools/cluster.sh up       start etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok,
#                             install CRDs/presets/GatewayClasses/Nodes, start the controller stand-ins
#   tools/cluster.sh down     stop every process `up` started (reverse order)
#   tools/cluster.sh status   show the processes and whether the apiserver answers
#   tools/cluster.sh env      print `export KUBECONFIG=... K8S_AUTH_KUBECONFIG=...`
#   tools/cluster.sh restart-standins   reload tests/standins after editing it
#
# Everything listens on 127.0.0.1 only. State (PKI, kubeconfig, logs, pids, etcd data) lives in
# ${LLMD_XKS_STATE:-<repo>/.cache/cluster}; ~/.kube/config is never touched. The PKI is kept
# between runs; every `up` starts etcd on a fresh copy of a snapshot taken right after the static
# bootstrap (CRDs, presets, Nodes; rebuilt when an input changes), so each `up` is a clean cluster.
# Details and measurements: docs/local-cluster.md.
# Binaries: $KUBEBUILDER_ASSETS (kube-apiserver, kube-controller-manager, kube-scheduler, etcd) when
# set, else the cache of tools/build.sh (built on first use).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
# shellcheck source=tools/versions.env
source "$HERE/versions.env"
CACHE=${LLMD_XKS_CACHE:-$HOME/.cache/llmd-xks}
# One PKI and the etcd snapshots, shared by every state dir of this user (clones, CI, pytest-xdist workers):
# a cold bootstrap runs once per input change, not once per clone or worker.
SHARED_STATE=$CACHE/cluster
STATE=${LLMD_XKS_STATE:-$REPO/.cache/cluster}
PKI=$STATE/pki
RUN=$STATE/run
LOGS=$STATE/logs
KUBECONFIG_FILE=$STATE/admin.kubeconfig
# shared/ (the upstream CRDs and KServe presets) sits beside the repository; CI lays a copy there
SHARED=${LLMD_XKS_SHARED:-$REPO/../shared}
[ -d "$SHARED/crds" ] || SHARED=/work/shared
export LLMD_XKS_SHARED=$SHARED
PYTHON=${LLMD_XKS_PYTHON:-}
if [ -z "$PYTHON" ]; then
  if [ -x "$REPO/.venv/bin/python" ]; then PYTHON=$REPO/.venv/bin/python; else PYTHON=python3; fi
fi

# Ports: LLMD_XKS_*_PORT if set; else the ports this state dir's cluster was started with
# (run/ports.env); else the defaults, shifted by a multiple of 100 when another cluster (another
# checkout, a CI clone) already uses them.
PORTS_FILE=$STATE/run/ports.env
EXPLICIT_PORTS=${LLMD_XKS_APISERVER_PORT:-}${LLMD_XKS_ETCD_PORT:-}${LLMD_XKS_ETCD_PEER_PORT:-}${LLMD_XKS_KCM_PORT:-}${LLMD_XKS_SCHEDULER_PORT:-}
set_ports() {  # offset
  APORT=${LLMD_XKS_APISERVER_PORT:-$((16443 + $1))}
  EPORT=${LLMD_XKS_ETCD_PORT:-$((23790 + $1))}
  PPORT=${LLMD_XKS_ETCD_PEER_PORT:-$((23791 + $1))}
  KCM_PORT=${LLMD_XKS_KCM_PORT:-$((16257 + $1))}
  SCHED_PORT=${LLMD_XKS_SCHEDULER_PORT:-$((16259 + $1))}
}
PORT_OFFSET=0
# shellcheck disable=SC1090
[ -z "$EXPLICIT_PORTS" ] && [ -s "$PORTS_FILE" ] && source "$PORTS_FILE"
set_ports "$PORT_OFFSET"
SERVICE_CIDR=10.96.0.0/16
POD_CIDR=10.244.0.0/16
# start order; `down` stops in reverse
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok standins)

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; [ -n "${CLEANUP_ON_DIE:-}" ] && [ -z "${LLMD_XKS_KEEP_ON_FAILURE:-}" ] && { log "stopping what was started"; cmd_down; }; exit 1; }

# ---------------------------------------------------------------------------------------- binaries
resolve_bins() {
  local k8s_dir="$CACHE/bin/kubernetes-$KUBERNETES_VERSION"
  local etcd_dir="$CACHE/bin/etcd-$ETCD_VERSION"
  local kwok_dir="$CACHE/bin/kwok-$KWOK_VERSION"
  local need=()
  if [ -n "${KUBEBUILDER_ASSETS:-}" ] && [ -x "$KUBEBUILDER_ASSETS/kube-apiserver" ] \
     && [ -x "$KUBEBUILDER_ASSETS/kube-controller-manager" ] && [ -x "$KUBEBUILDER_ASSETS/kube-scheduler" ]; then
    k8s_dir=$KUBEBUILDER_ASSETS
    [ -x "$KUBEBUILDER_ASSETS/etcd" ] && etcd_dir=$KUBEBUILDER_ASSETS
  fi
  [ -x "$k8s_dir/kube-apiserver" ] || need+=(kubernetes)
  [ -x "$etcd_dir/etcd" ] || need+=(etcd)
  [ -x "$kwok_dir/kwok" ] || need+=(kwok)
  if [ ${#need[@]} -gt 0 ]; then
    log "building missing tools: ${need[*]} (one-off; see tools/README.md for times)"
    "$HERE/build.sh" "${need[@]}"
  fi
  BIN_APISERVER=$k8s_dir/kube-apiserver
  BIN_KCM=$k8s_dir/kube-controller-manager
  BIN_SCHED=$k8s_dir/kube-scheduler
  BIN_ETCD=$etcd_dir/etcd
  BIN_KWOK=$kwok_dir/kwok
}

# --------------------------------------------------------------------------------------------- PKI
mkcert() {  # name subject ext-lines...
  local name=$1 subj=$2; shift 2
  printf '%s\n' "$@" > "$PKI/$name.ext"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$PKI/$name.key" -out "$PKI/$name.csr" -subj "$subj" 2>/dev/null
  openssl x509 -req -sha256 -days 3650 -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
    -CAcreateserial -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

ensure_pki() {
  if [ ! -s "$PKI/ca.crt" ] && [ -s "$SHARED_STATE/pki/ca.crt" ]; then
    mkdir -p "$STATE"; cp -a "$SHARED_STATE/pki" "$PKI"; rm -f "$KUBECONFIG_FILE"
  fi
  if ! { [ -s "$PKI/ca.crt" ] && [ -s "$PKI/apiserver.crt" ] && [ -s "$PKI/admin.crt" ] && [ -s "$PKI/sa.pub" ]; }; then
    log "creating PKI in $PKI"
    rm -rf "$PKI"; mkdir -p "$PKI"; chmod 700 "$PKI"
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -keyout "$PKI/ca.key" -out "$PKI/ca.crt" \
      -subj "/CN=llmd-xks-local-ca" 2>/dev/null
    mkcert apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" \
      "subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    mkcert admin "/O=system:masters/CN=kubernetes-admin" "basicConstraints=CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=clientAuth"
    openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
    openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
    rm -f "$KUBECONFIG_FILE"
  fi
  # the kubeconfig follows the apiserver port
  [ -s "$KUBECONFIG_FILE" ] && grep -q "server: https://127.0.0.1:$APORT\$" "$KUBECONFIG_FILE" && return 0
  local b64="base64 -w0"
  cat > "$KUBECONFIG_FILE.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: llmd-local
  cluster:
    server: https://127.0.0.1:$APORT
    certificate-authority-data: $($b64 "$PKI/ca.crt")
users:
- name: admin
  user:
    client-certificate-data: $($b64 "$PKI/admin.crt")
    client-key-data: $($b64 "$PKI/admin.key")
contexts:
- name: llmd-local
  context: {cluster: llmd-local, user: admin}
current-context: llmd-local
EOF
  chmod 600 "$KUBECONFIG_FILE.tmp"; mv "$KUBECONFIG_FILE.tmp" "$KUBECONFIG_FILE"
}

# ------------------------------------------------------------------------------------- processes
pidfile() { echo "$RUN/$1.pid"; }

# a process that exited but was not reaped yet (zombie; PID 1 reaps orphans lazily here) is not running
running() { kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

alive() {  # component -> 0 if its recorded pid runs and is the right program
  local f; f=$(pidfile "$1")
  [ -s "$f" ] || return 1
  local pid; pid=$(cat "$f")
  running "$pid" || return 1
  local want=$1; [ "$1" = standins ] && want=tests.standins
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$want"
}

start() {  # component command...
  local name=$1; shift
  setsid "$@" >> "$LOGS/$name.log" 2>&1 < /dev/null 9>&- &
  echo $! > "$(pidfile "$name")"
}

stop() {  # component...   TERM them all, wait (10 s max), then KILL what is left
  local c pid pids=() deadline=$((SECONDS + 10))
  for c in "$@"; do
    local f; f=$(pidfile "$c")
    [ -s "$f" ] || continue
    if alive "$c"; then pid=$(cat "$f"); kill "-${SIGNAL:-TERM}" "$pid" 2>/dev/null || true; pids+=("$c:$pid"); fi
    rm -f "$f"
  done
  for c in "${pids[@]}"; do
    pid=${c#*:}
    while running "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
    if running "$pid"; then log "${c%%:*} ($pid) did not stop on TERM; killing"; kill -KILL "$pid" 2>/dev/null || true; fi
  done
}

wait_for() {  # component seconds command...   (fails fast when the component's process died)
  local what=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    check_alive "$what"
    [ $SECONDS -lt $deadline ] || die "timed out after ${secs}s waiting for $what (logs: $LOGS)"
    sleep 0.2
  done
}

check_alive() {
  alive "$1" && return 0
  local why; why=$(grep -iE 'error|fatal|in use|failed' "$LOGS/$1.log" 2>/dev/null | tail -3)
  die "$1 exited during start-up; see $LOGS/$1.log: ${why:-$(tail -3 "$LOGS/$1.log" 2>/dev/null)}"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ports_free() { local p; for p in "$APORT" "$EPORT" "$PPORT" "$KCM_PORT" "$SCHED_PORT"; do port_free "$p" || return 1; done; }

preflight_ports() {  # pick free ports (unless set explicitly) and remember them in run/ports.env
  if ! ports_free; then
    [ -n "$EXPLICIT_PORTS" ] && die "a port of $APORT/$EPORT/$PPORT/$KCM_PORT/$SCHED_PORT on 127.0.0.1 is in use (another cluster?)"
    local k
    for k in $(seq 1 30); do set_ports $((k * 100)); ports_free && break; done
    ports_free || die "no free port set found on 127.0.0.1 (tried offsets 0..3000)"
    log "default ports are in use (another cluster?); using apiserver port $APORT"
    PORT_OFFSET=$((k * 100))
  fi
  [ -n "$EXPLICIT_PORTS" ] || echo "PORT_OFFSET=$PORT_OFFSET" > "$PORTS_FILE"
}
etcd_healthy() { curl -sf "http://127.0.0.1:$EPORT/health" | grep -q '"health":"true"'; }
apiserver_ready() { curl -sfk "https://127.0.0.1:$APORT/readyz" | grep -q ok; }

# kwok stages: node (initialize, heartbeat with lease) and pod (ready, complete, delete) from the kwok
# module; its volume stages with the GKE StorageClass names bootstrap.py creates (so PVCs bind); and
# tools/localcluster/kwok-stages-extra.yaml (LoadBalancer addresses). Cached per kwok version + extras.
VOLUME_CLASSES="['standard-rwo', 'standard', 'premium-rwo', 'kwok-volume']"
kwok_stages() {
  local extra=$HERE/localcluster/kwok-stages-extra.yaml
  local out; out=$STATE/kwok-stages-$KWOK_VERSION-$(cat "$extra" <(echo "$VOLUME_CLASSES") | sha256sum | cut -c1-8).yaml
  if [ ! -s "$out" ]; then
    local dir f
    dir=$(GOFLAGS=-modcacherw go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" 2>/dev/null |
      "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["Dir"])') || die "cannot locate sigs.k8s.io/kwok@$KWOK_VERSION in the Go module cache"
    : > "$out.tmp"
    for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
             pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml \
             volume/fast/pvc-provision.yaml volume/fast/pv-bind.yaml volume/fast/pvc-delete.yaml volume/fast/pv-delete.yaml; do
      [ -s "$dir/kustomize/stage/$f" ] || die "kwok stage $f missing in $dir"
      { sed "s/self.spec.storageClassName == 'kwok-volume'/self.spec.storageClassName in $VOLUME_CLASSES/" \
          "$dir/kustomize/stage/$f"; echo; echo '---'; } >> "$out.tmp"
    done
    cat "$extra" >> "$out.tmp"
    mv "$out.tmp" "$out"
  fi
  echo "$out"
}

start_etcd_apiserver() {
  start etcd "$BIN_ETCD" --name=llmd-local --data-dir="$STATE/etcd" \
    --listen-client-urls="http://127.0.0.1:$EPORT" --advertise-client-urls="http://127.0.0.1:$EPORT" \
    --listen-peer-urls="http://127.0.0.1:$PPORT" --initial-advertise-peer-urls="http://127.0.0.1:$PPORT" \
    --initial-cluster="llmd-local=http://127.0.0.1:$PPORT" --unsafe-no-fsync \
    --listen-metrics-urls="" --log-level=warn
  wait_for etcd 30 etcd_healthy

  start kube-apiserver "$BIN_APISERVER" \
    --etcd-servers="http://127.0.0.1:$EPORT" \
    --bind-address=127.0.0.1 --secure-port="$APORT" --advertise-address=127.0.0.1 \
    --endpoint-reconciler-type=none \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --authorization-mode=RBAC \
    --enable-admission-plugins=ExtendedResourceToleration \
    --allow-privileged=true \
    --max-requests-inflight=800 --max-mutating-requests-inflight=400 \
    --profiling=false
  wait_for kube-apiserver 90 apiserver_ready
  check_alive etcd
}

bootstrap() {  # phase
  (cd "$REPO" && KUBECONFIG=$KUBECONFIG_FILE "$PYTHON" -m tools.localcluster.bootstrap --phase "$1" \
    --kubeconfig "$KUBECONFIG_FILE" >> "$LOGS/bootstrap.log" 2>&1) || die "bootstrap $1 failed: $(tail -20 "$LOGS/bootstrap.log")"
}

snapshot_key() {  # hash of every input of the static bootstrap
  {
    echo "$KUBERNETES_VERSION $ETCD_VERSION"
    cat "$REPO/playbooks/vars/accelerators.yml" "$REPO/inventories/local/group_vars/all/cluster.yml" \
        "$HERE"/localcluster/*.py
    find "${LLMD_XKS_CRDS_DIR:-$SHARED/crds}" "${LLMD_XKS_KSERVE_PRESETS_DIR:-$SHARED/kserve-presets/v0.20.0}" \
      -name '*.yaml' -type f | sort | xargs cat
    echo "${LLMD_XKS_DEFAULT_GATEWAY:-1}"
  } | sha256sum | cut -c1-16
}

all_alive() { local c; for c in "${COMPONENTS[@]}"; do alive "$c" || return 1; done; }
any_alive() { local c; for c in "${COMPONENTS[@]}"; do alive "$c" && return 0; done; return 1; }

# ----------------------------------------------------------------------------------------- verbs
cmd_up() {
  local t0=$SECONDS
  if all_alive && apiserver_ready; then
    log "already up (KUBECONFIG=$KUBECONFIG_FILE)"; return 0
  fi
  if any_alive; then log "partially up; stopping the leftovers first"; cmd_down; fi
  mkdir -p "$STATE" "$RUN" "$LOGS"
  preflight_ports
  CLEANUP_ON_DIE=1
  resolve_bins
  ensure_pki
  local stages; stages=$(kwok_stages)
  rm -rf "$STATE/etcd" "$STATE/kcm-certs" "$STATE/sched-certs"
  rm -f "$LOGS"/*.log

  # etcd data: a fresh copy of a snapshot taken right after the static bootstrap (CRDs, presets,
  # GatewayClasses, Nodes), keyed by a hash of everything that goes into it. Cold: build it once.
  # The shared snapshot serves a state dir whose PKI is the shared one; the lock makes a second cluster that
  # starts cold at the same time wait for the first one's snapshot instead of bootstrapping too.
  local key snap shared=""
  key=$(snapshot_key); snap=$STATE/snapshots/etcd-$key
  mkdir -p "$SHARED_STATE"
  exec 8>"$SHARED_STATE/.bootstrap.lock"; flock 8
  cmp -s "$PKI/ca.crt" "$SHARED_STATE/pki/ca.crt" && shared=1
  [ -d "$snap" ] || { [ -n "$shared" ] && [ -d "$SHARED_STATE/etcd-$key" ] && snap=$SHARED_STATE/etcd-$key; }
  if [ -d "$snap" ]; then
    cp -a "$snap" "$STATE/etcd"
    flock -u 8
    start_etcd_apiserver
    log "etcd restored from snapshot $key; apiserver ready after $((SECONDS - t0)) s"
  else
    start_etcd_apiserver
    log "apiserver ready after $((SECONDS - t0)) s; installing CRDs, presets, GatewayClasses, Nodes (cold, once per input change)"
    bootstrap static
    stop kube-apiserver; stop etcd
    rm -rf "$STATE/snapshots"; mkdir -p "$STATE/snapshots"
    cp -a "$STATE/etcd" "$snap.tmp" && mv "$snap.tmp" "$snap"
    if [ ! -s "$SHARED_STATE/pki/ca.crt" ]; then
      rm -rf "$SHARED_STATE/pki.tmp"; cp -a "$PKI" "$SHARED_STATE/pki.tmp" && mv -T "$SHARED_STATE/pki.tmp" "$SHARED_STATE/pki"
      shared=1
    fi
    if [ -n "$shared" ]; then
      rm -rf "$SHARED_STATE"/etcd-*; cp -a "$snap" "$SHARED_STATE/etcd-$key.tmp" && mv -T "$SHARED_STATE/etcd-$key.tmp" "$SHARED_STATE/etcd-$key"
    fi
    flock -u 8
    log "etcd snapshot $key saved after $((SECONDS - t0)) s"
    start_etcd_apiserver
  fi
  exec 8>&-

  # --node-monitor-grace-period=10m: kwok nodes cannot fail, but a kube-apiserver restart (tests/integration/
  # test_faults.py) misses lease renewals; with the default 50 s the node lifecycle controller marks every node
  # Unknown and its pods NotReady, which kwok, unlike a kubelet, never reports back to Ready.
  start kube-controller-manager "$BIN_KCM" \
    --kubeconfig="$KUBECONFIG_FILE" \
    --authentication-kubeconfig="$KUBECONFIG_FILE" --authorization-kubeconfig="$KUBECONFIG_FILE" \
    --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --cert-dir="$STATE/kcm-certs" \
    --leader-elect=false \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --kube-api-qps=200 --kube-api-burst=400 \
    --concurrent-gc-syncs=20 --concurrent-namespace-syncs=10 \
    --node-monitor-grace-period=10m \
    --profiling=false
  start kube-scheduler "$BIN_SCHED" \
    --kubeconfig="$KUBECONFIG_FILE" \
    --authentication-kubeconfig="$KUBECONFIG_FILE" --authorization-kubeconfig="$KUBECONFIG_FILE" \
    --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" --cert-dir="$STATE/sched-certs" \
    --leader-elect=false --kube-api-qps=200 --kube-api-burst=400 --profiling=false
  start kwok "$BIN_KWOK" --kubeconfig="$KUBECONFIG_FILE" --config="$stages" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --node-lease-duration-seconds=40 --cidr="$POD_CIDR" --node-ip=127.0.0.1

  bootstrap ready   # wait until kwok made the Nodes Ready

  (cd "$REPO" && start standins "$PYTHON" -m tests.standins --kubeconfig "$KUBECONFIG_FILE")
  local c; for c in "${COMPONENTS[@]}"; do check_alive "$c"; done
  CLEANUP_ON_DIE=
  log "up in $((SECONDS - t0)) s; KUBECONFIG=$KUBECONFIG_FILE"
}

cmd_down() {
  # reverse start order: the clients first (TERM, in parallel), then the apiserver, then etcd. All state
  # is thrown away, so the apiserver and etcd are killed instead of shut down gracefully (3-6 s).
  stop standins kwok kube-scheduler kube-controller-manager
  SIGNAL=KILL stop kube-apiserver
  SIGNAL=KILL stop etcd
  rm -rf "$STATE/etcd" "$STATE/kcm-certs" "$STATE/sched-certs"
  rm -f "$PORTS_FILE"
  log "down"
}

cmd_status() {
  local c rc=0
  for c in "${COMPONENTS[@]}"; do
    if alive "$c"; then printf '%-24s running (pid %s)\n' "$c" "$(cat "$(pidfile "$c")")"
    else printf '%-24s stopped\n' "$c"; rc=1; fi
  done
  if alive kube-apiserver && apiserver_ready; then echo "apiserver https://127.0.0.1:$APORT ready"
  else echo "apiserver not ready"; rc=1; fi
  echo "KUBECONFIG=$KUBECONFIG_FILE"
  return $rc
}

cmd_restart_standins() {  # pick up edited tests/standins code without restarting the cluster
  alive kube-apiserver && apiserver_ready || die "the cluster is not up"
  stop standins
  (cd "$REPO" && start standins "$PYTHON" -m tests.standins --kubeconfig "$KUBECONFIG_FILE")
  sleep 0.5; check_alive standins; log "stand-ins restarted (log: $LOGS/standins.log)"
}

cmd_env() { echo "export KUBECONFIG=$KUBECONFIG_FILE K8S_AUTH_KUBECONFIG=$KUBECONFIG_FILE"; }

cd "$REPO"
case "${1:-}" in
  up|down|restart-standins)  # one mutating invocation per state dir at a time
    mkdir -p "$STATE"; exec 9> "$STATE/.lock"; flock 9 ;;
esac
case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  restart-standins) cmd_restart_standins ;;
  *) echo "usage: $0 up|down|status|env|restart-standins" >&2; exit 2 ;;
esac
