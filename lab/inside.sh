#!/bin/bash
# Runs inside the lab's namespaces (network, mount, PID; started by
# lab/run.sh): the chain authoritative → Unbound → dnsmasq, two nginx
# servers, and the clients, for $DURATION seconds. Every process it starts is
# stopped by its PID at the end (and the PID namespace ends with this script).
set -euo pipefail
: "${LAB:?}" "${OUT:?}" "${TTL:?}" "${KEEPALIVE:?}" "${DURATION:?}" "${NAMES:?}" "${GAP:?}"
: "${WARMUP:?}" "${STAGGER:?}" "${PERIOD:?}" "${CHROMIUM:?}" "${JAVA:?}" "${CURL:?}" "${NSCD:?}"
AUTH=127.0.0.53 UNBOUND=127.0.0.2 DNSMASQ=127.0.0.3 OLD=127.0.1.1 NEW=127.0.1.2 PAGE=127.0.1.9
pids=()
stop() {
    for file in "$OUT"/nscd-*/pid; do [ -f "$file" ] && pids+=("$(cat "$file")"); done
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    sleep 1
    for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
}
trap stop EXIT

# Every lookup in this mount namespace goes to dnsmasq.
echo "nameserver $DNSMASQ" > "$OUT/resolv.conf"
mount --bind "$OUT/resolv.conf" /etc/resolv.conf
printf '127.0.0.1 localhost\n' > "$OUT/hosts"
mount --bind "$OUT/hosts" /etc/hosts

python3 "$LAB/authoritative.py" --listen $AUTH --ttl "$TTL" --names "$NAMES" --first $OLD --second $NEW \
    --warmup "$WARMUP" --stagger "$STAGGER" --period "$PERIOD" --duration "$DURATION" \
    --flips "$OUT/flips.csv" --queries "$OUT/queries.csv" > "$OUT/authoritative.log" 2>&1 &
pids+=($!)

cat > "$OUT/unbound.conf" <<CONF
server:
    interface: $UNBOUND
    port: 53
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$OUT"
    pidfile: "$OUT/unbound.pid"
    use-syslog: no
    logfile: "$OUT/unbound.log"
    access-control: 127.0.0.0/8 allow
    do-ip6: no
    do-not-query-localhost: no
    local-zone: "test." nodefault
    module-config: "iterator"
    qname-minimisation: no
    num-threads: 1
stub-zone:
    name: "lab.test"
    stub-addr: $AUTH
remote-control:
    control-enable: no
CONF
unbound -d -c "$OUT/unbound.conf" > "$OUT/unbound.out" 2>&1 &
pids+=($!)

dnsmasq -k --conf-file=/dev/null --user=root --no-resolv --no-hosts --server=$UNBOUND \
    --listen-address=$DNSMASQ --bind-interfaces --cache-size=1000 \
    --pid-file="$OUT/dnsmasq.pid" > "$OUT/dnsmasq.log" 2>&1 &
pids+=($!)

for side in old new; do
    address=$OLD
    [ $side = new ] && address=$NEW
    page=""
    [ $side = old ] && page="server { listen $PAGE:80; access_log off; root $LAB; }"
    cat > "$OUT/nginx-$side.conf" <<CONF
user root;
daemon off;
worker_processes 1;
pid $OUT/nginx-$side.pid;
error_log $OUT/nginx-$side.error.log;
events { worker_connections 4096; }
http {
    log_format lab '\$msec \$server_addr \$host \$connection \$connection_requests \$arg_c';
    keepalive_timeout ${KEEPALIVE}s;
    client_body_temp_path $OUT/tmp-$side;
    types { text/html html; }
    server {
        listen $address:80;
        access_log $OUT/requests-$side.log lab;
        location /ping {
            add_header Access-Control-Allow-Origin * always;
            add_header Cache-Control no-store always;
            return 200 "ok\n";
        }
    }
    $page
}
CONF
    nginx -c "$OUT/nginx-$side.conf" -p "$OUT" &
    pids+=($!)
done
sleep 2
getent hosts n0.lab.test > "$OUT/first-lookup.txt" || { echo "lab: n0.lab.test does not resolve through the chain" >&2; exit 1; }

for k in $(seq 0 $((CHROMIUM - 1))); do
    netlog=()
    [ "$k" = 0 ] && netlog=(--log-net-log="$OUT/netlog-chromium-0.json" --net-log-capture-mode=Default)
    chromium --headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-background-timer-throttling --disable-renderer-backgrounding \
        --user-data-dir="$OUT/chromium-$k" "${netlog[@]}" \
        "http://$PAGE/loop.html?c=chromium-$k&names=$NAMES&gap=$GAP" > "$OUT/chromium-$k.log" 2>&1 &
    pids+=($!)
done

javac -d "$OUT/java" "$LAB/LabClient.java"
for k in $(seq 0 $((JAVA - 1))); do
    java -Djava.net.preferIPv4Stack=true -cp "$OUT/java" LabClient "java-$k" "$NAMES" "$GAP" > "$OUT/java-$k.log" 2>&1 &
    pids+=($!)
done

python3 "$LAB/curl_clients.py" curl "$CURL" "$NAMES" "$GAP" > "$OUT/curl.log" 2>&1 &
pids+=($!)

# Each device with a caching stub gets its own nscd, in its own mount
# namespace (nscd's socket path is fixed), honouring the TTLs it is given.
for k in $(seq 0 $((NSCD - 1))); do
    mkdir -p /run/nscd "$OUT/nscd-$k"
    cat > "$OUT/nscd-$k/nscd.conf" <<CONF
enable-cache passwd no
enable-cache group no
enable-cache services no
enable-cache netgroup no
enable-cache hosts yes
positive-time-to-live hosts 3600
negative-time-to-live hosts 20
persistent hosts no
shared hosts no
CONF
    unshare --mount bash -c "mount -t tmpfs lab /run/nscd && { nscd -F -f '$OUT/nscd-$k/nscd.conf' > '$OUT/nscd-$k/nscd.log' 2>&1 & echo \$! > '$OUT/nscd-$k/pid'; } && sleep 1 && exec python3 '$LAB/curl_clients.py' curl-nscd-$k 1 '$NAMES' '$GAP'" \
        > "$OUT/curl-nscd-$k.log" 2>&1 &
    pids+=($!)
done

sleep "$DURATION"
