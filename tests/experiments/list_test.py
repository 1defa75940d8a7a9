#!/usr/bin/python3
"""`governor list` shows every key a config may hold.

Usage: list_test.py GOVERNOR (from the source tree)

Every shipped config (configs/**/*.yaml) is resolved with `governor check
--print`; every key of every point's resolved tree must appear in
`governor list` where it belongs: a top-level key among the top-level keys,
a mapping section's key under that section of the config's game, and a
component's key (scheme, agent, controllers) under that component in the
registry listing.  A game's own default over a shared table (DAC's
td3.absorbing) must be listed under the game with the value the resolved
config holds.  `governor list agent` must show PPO's and TD3's keys."""
import glob
import re
import subprocess
import sys

import yaml

GV = sys.argv[1]
TYPES = r"(integer|number|boolean|string|name|list)"
fails = []


def run(*args):
    p = subprocess.run([GV, *args], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"FAIL: governor {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p.stdout


def parse_list(text):
    """top: scalar keys; topsec[section]: the keys of a top-level section
    (checkpoint; plot is a list); games[g][section]: {key: default};
    regs[kind][name]: keys."""
    top, topsec, games, regs = set(), {}, {}, {}
    block = None
    game = section = item = tsec = None
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            block = line.split(":")[0]
            continue
        m = re.match(r"^ {4,}(- kind|\S+)\s+" + TYPES + r"\s+default (\S+)", line)
        if block == "top-level keys of every config":
            sec = re.match(r"^  (\w+):", line)
            if sec:
                tsec = sec.group(1)
                topsec[tsec] = set()
            elif m and tsec:
                topsec[tsec].add(m.group(1))
            elif m:
                top.add(m.group(1))
        elif block == "games":
            g = re.match(r"^  (\w+)\s{2,}", line)
            s = re.match(r"^    (\w+):", line)
            if g and not line.startswith("   "):
                game = g.group(1)
                games[game] = {}
            elif s:
                section = s.group(1)
                games[game][section] = {}
            elif m:
                games[game][section][m.group(1)] = m.group(3)
        elif block.endswith("s"):
            kind = block[:-1]
            i = re.match(r"^  (\w+)\s", line)
            if i and not line.startswith("   "):
                item = i.group(1)
                regs.setdefault(kind, {})[item] = set()
            elif m:
                regs[kind][item].add(m.group(1))
    return top, topsec, games, regs


top, topsec, games, regs = parse_list(run("list"))
if not {"name", "seed", "out"} <= top or not {"every", "minutes"} <= topsec.get("checkpoint", set()):
    fails.append(f"`governor list` top-level keys read as {sorted(top)}, sections {topsec}")
for want in ("dirac", "mlpgan", "onestep", "onestep_sampled", "rl", "gail", "dac"):
    if want not in games:
        fails.append(f"`governor list` lacks game {want}")
for kind in ("scheme", "controller", "agent"):
    if not regs.get(kind):
        fails.append(f"`governor list` lacks the {kind} registry")

COMPONENT = {"scheme": "scheme", "agent": "agent", "controllers": "controller"}


def check_component(where, kind, node):
    name = node.get("kind")
    keys = regs.get(kind, {}).get(name)
    if keys is None:
        fails.append(f"{where}: {kind} '{name}' is not in `governor list`")
        return
    for k in node:
        if k != "kind" and k not in keys:
            fails.append(f"{where}: key {k} of {kind} {name} is not in `governor list`")


def check_tree(cfg, tree):
    game = tree["game"]["kind"]
    listed = games.get(game, {})
    for key, val in tree.items():
        where = f"{cfg}: {key}"
        if key in top:
            continue
        if key in topsec:
            for k in val if isinstance(val, dict) else []:
                if k not in topsec[key]:
                    fails.append(f"{where}.{k}: not listed under the top-level section {key}")
            continue
        if key not in listed:
            fails.append(f"{where}: section not listed under game {game}")
        elif key in COMPONENT:
            items = val if isinstance(val, list) else [val]
            for i, it in enumerate(items):
                check_component(f"{where}.{i}", COMPONENT[key], it)
        else:
            for k in val:
                if k not in listed[key] and not (key == "game" and k == "kind"):
                    fails.append(f"{where}.{k}: not listed under game {game} section {key}")


docs = 0
for cfg in sorted(glob.glob("configs/**/*.yaml", recursive=True)):
    out = run("check", cfg, "--print")
    for doc in re.split(r"^# .* -> .*$", out, flags=re.M):
        doc = "\n".join(l for l in doc.splitlines() if not l.startswith("configs/"))
        tree = yaml.load(doc, Loader=yaml.BaseLoader)  # keys as written (`on`)
        if not tree:
            continue
        docs += 1
        check_tree(cfg, tree)
if docs < 50:
    fails.append(f"only {docs} resolved configs read")

agents = run("list", "agent")
for kind, key in (("ppo", "rollout"), ("ppo", "clip"), ("td3", "policy_noise"),
                  ("td3", "absorbing")):
    if key not in regs.get("agent", {}).get(kind, set()):
        fails.append(f"`governor list` lacks agent {kind}'s key {key}")
    if not re.search(rf"^      {key}\s+{TYPES}\s+default", agents, re.M):
        fails.append(f"`governor list agent` lacks {key}")
# DAC's own default over TD3's table is listed with its value
if games.get("dac", {}).get("agent", {}).get("td3.absorbing") != "true":
    fails.append("`governor list` does not show dac's td3.absorbing default true")
if games.get("gail", {}).get("controllers", {}).get("wgan_gp.gamma") != "20":
    fails.append("`governor list` does not show gail's wgan_gp.gamma default 20")
if games.get("dac", {}).get("disc", {}).get("reward") != "logit":
    fails.append("`governor list` does not show dac's disc.reward default logit")
if games.get("gail", {}).get("disc", {}).get("reward") != "softplus":
    fails.append("`governor list` does not show gail's disc.reward default softplus")
envs = run("list", "env")
for e in ("hopper", "walker2d", "halfcheetah", "ant", "reacher", "inverted_pendulum"):
    if not re.search(rf"^  {e}\s", envs, re.M):
        fails.append(f"`governor list env` lacks {e}")

for f in fails:
    print("FAIL:", f)
print(f"{docs} resolved configs checked against `governor list`")
sys.exit(1 if fails else 0)
