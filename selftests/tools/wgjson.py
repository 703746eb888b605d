#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""wgjson.py fromdump NAME < DUMP
   wgjson.py compare JSONFILE DUMPFILE KEY=VALUE...

fromdump: turn "wg show NAME dump" into the JSON object "meshadm show NAME
--json" prints (Documentation/meshadm.8, JSON OUTPUT), so that tests of
the meshadm JSON can be validated against in-tree WireGuard.

compare: check the JSON of one end of a tunnel (the device under test)
against "wg show dump" of the other end.  KEY=VALUE are the expectations:
name, port, keepalive, allowed (comma separated CIDRs the DUT allows for its
peer), endpoint (the DUT's endpoint for the peer), peer_endpoint (the
peer's endpoint for the DUT), secret (repeatable: a string that must not
appear in the JSON).  Prints one line per check: "ok<TAB>what" or
"not ok<TAB>what<TAB>detail".
"""
import ipaddress
import json
import sys
import time


def fromdump(name):
    lines = [l.rstrip("\n").split("\t") for l in sys.stdin if l.strip()]
    dev = lines[0]
    obj = {
        "name": name,
        "public_key": None if dev[1] == "(none)" else dev[1],
        "listen_port": int(dev[2]),
        "fwmark": 0 if dev[3] == "off" else int(dev[3], 0),
        "peers": [],
    }
    for p in lines[1:]:
        obj["peers"].append({
            "public_key": p[0],
            "endpoint": None if p[2] == "(none)" else p[2],
            "allowed_ips": [] if p[3] == "(none)" else p[3].split(","),
            "latest_handshake": int(p[4]),
            "rx_bytes": int(p[5]),
            "tx_bytes": int(p[6]),
            "persistent_keepalive": 0 if p[7] == "off" else int(p[7]),
        })
    print(json.dumps(obj))


def close(a, b):
    """Byte counters of the two ends agree up to what may be in flight."""
    return abs(a - b) <= max(256, (a + b) // 100)


def compare(jpath, dpath, kv):
    exp = {}
    secrets = []
    for item in kv:
        k, _, v = item.partition("=")
        if k == "secret":
            secrets.append(v)
        else:
            exp[k] = v
    res = []

    def check(what, cond, detail=""):
        res.append(("ok\t%s" % what) if cond else ("not ok\t%s\t%s" % (what, detail)))

    text = open(jpath).read()
    lines = [l for l in text.splitlines() if l.strip()]
    check("show --json prints one line for one device", len(lines) == 1, "%d lines" % len(lines))
    try:
        obj = json.loads(lines[0])
    except (ValueError, IndexError) as e:
        check("show --json is valid JSON", False, str(e))
        return res
    check("show --json is valid JSON", True)
    dump = [l.rstrip("\n").split("\t") for l in open(dpath) if l.strip()]
    dev, peers = dump[0], dump[1:]
    check("name", obj.get("name") == exp.get("name"), "%r" % obj.get("name"))
    check("listen_port", str(obj.get("listen_port")) == exp.get("port"), "%r" % obj.get("listen_port"))
    check("the other end has exactly one peer", len(peers) == 1, "%d" % len(peers))
    if not peers:
        return res
    wp = peers[0]
    check("public_key is the key the other end has for its peer",
          obj.get("public_key") == wp[0], "%r vs %r" % (obj.get("public_key"), wp[0]))
    jpeers = obj.get("peers") or []
    check("one peer in JSON", len(jpeers) == 1, "%d" % len(jpeers))
    if len(jpeers) != 1:
        return res
    jp = jpeers[0]
    check("peer public_key is the other end's public key",
          jp.get("public_key") == dev[1], "%r vs %r" % (jp.get("public_key"), dev[1]))
    key = lambda n: (n.version, n.network_address, n.prefixlen)
    want = sorted((ipaddress.ip_network(x) for x in exp.get("allowed", "").split(",") if x), key=key)
    try:
        got = sorted((ipaddress.ip_network(x) for x in jp.get("allowed_ips", [])), key=key)
    except (ValueError, TypeError) as e:
        got = "unparsable: %s" % e
    check("peer allowed_ips", got == want, "%r" % jp.get("allowed_ips"))
    check("peer endpoint", jp.get("endpoint") == exp.get("endpoint"),
          "%r, expected %r" % (jp.get("endpoint"), exp.get("endpoint")))
    check("the other end's endpoint for the DUT", wp[2] == exp.get("peer_endpoint"),
          "%r, expected %r" % (wp[2], exp.get("peer_endpoint")))
    now = time.time()
    hs = jp.get("latest_handshake")
    check("peer latest_handshake is a recent unix time",
          isinstance(hs, int) and 0 < hs <= now + 1 and now - hs < 600, "%r (now %d)" % (hs, now))
    check("the other end has a handshake too", int(wp[4]) > 0, wp[4])
    rx, tx = jp.get("rx_bytes"), jp.get("tx_bytes")
    ok_types = isinstance(rx, int) and isinstance(tx, int)
    check("rx_bytes and tx_bytes are positive numbers", ok_types and rx > 0 and tx > 0, "%r %r" % (rx, tx))
    if ok_types:
        check("DUT tx_bytes matches the other end's rx bytes", close(tx, int(wp[5])),
              "%d vs %s" % (tx, wp[5]))
        check("DUT rx_bytes matches the other end's tx bytes", close(rx, int(wp[6])),
              "%d vs %s" % (rx, wp[6]))
    check("peer persistent_keepalive", str(jp.get("persistent_keepalive")) == exp.get("keepalive"),
          "%r" % jp.get("persistent_keepalive"))
    for i, s in enumerate(secrets):
        check("secret %d (private or preshared key) is not in the JSON" % (i + 1), s not in text)
    return res


def main():
    a = sys.argv[1:]
    if len(a) == 2 and a[0] == "fromdump":
        fromdump(a[1])
        return 0
    if len(a) >= 3 and a[0] == "compare":
        for line in compare(a[1], a[2], a[3:]):
            print(line)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
