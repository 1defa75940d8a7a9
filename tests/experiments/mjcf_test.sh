#!/bin/sh
# game.env: {kind: mjcf, ...} through the command line (envs/mjcf.h,
# docs/envs.md): every config error is exit 2 naming the key and what is
# allowed; rl (PPO, TD3), gail and dac run a task from a config exactly as
# the built-in task; a saved policy rebuilds its task for `governor record`
# and refuses a model file that changed.  Usage: mjcf_test.sh PATH/TO/governor
set -u
testname=mjcf
. "$(dirname "$0")/testlib.sh"

cp envs/assets/hopper.xml "$T/hopper.xml"
# env FILE REST: an rl config whose env is the hopper model with the term lists REST
env() {
  printf 'game:\n  kind: rl\n  env:\n    kind: mjcf\n    xml: hopper.xml\n%s\nagent: {kind: ppo}\n' \
    "$2" >"$T/$1"
}
OBS='    observation: [{term: qpos}]'
# refuse FILE REST NEEDLE: that config is exit 2 with NEEDLE in the message
refuse() {
  env "$1" "$2"
  expect 2 "$3" -- "$GV" check "$T/$1"
}

# --- names the model lacks: the model's names
refuse e1.yaml "$OBS
    reward: [{term: forward, body: torsoo}]" \
  "e1.yaml:7: game.env.reward.0.body: no body 'torsoo' in the model (the model's bodies: world, torso, thigh, leg, foot)"
refuse e2.yaml "$OBS
    healthy:
      - {term: range, joint: knee, low: 0.7}" \
  "e2.yaml:8: game.env.healthy.0.joint: no joint 'knee' in the model (the model's joints: rootx, rootz, rooty, thigh_joint, leg_joint, foot_joint)"
refuse e3.yaml "$OBS
    reward: [{term: distance, site: tip, target_body: torso}]" \
  "game.env.reward.0.site: no site 'tip' in the model (the model's sites: none)"
refuse e4.yaml "    observation: [{term: qvel, joints: [rootx, ankle]}]" \
  "game.env.observation.0.joints: no joint 'ankle' in the model (the model's joints: rootx"
refuse e26.yaml "    observation: [{term: site_pos}]" \
  "game.env.observation.0.site: required: a site of the model (the model's sites: none)"
refuse e5.yaml "$OBS
    reset: [{term: target_disc, joint_x: rootx, joint_y: rooty}]" \
  "game.env.reset.0.joint_y: 'rooty' is not a slide joint (allowed: slide joints)"

# --- terms and keys the menu lacks: what is allowed
refuse e6.yaml "    observation: [{term: qacc}]" \
  "game.env.observation.0.term: unknown observation term 'qacc' (allowed: qpos, qvel, cos, sin, body_pos, site_pos, cfrc_ext, vector)"
refuse e7.yaml "$OBS
    reward: [{term: speed}]" \
  "game.env.reward.0.term: unknown reward term 'speed' (allowed: forward, ctrl_cost, alive, contact_cost, distance)"
refuse e8.yaml "$OBS
    healthy: [{term: upright}]" \
  "game.env.healthy.0.term: unknown healthy term 'upright' (allowed: range, state_range, finite)"
refuse e9.yaml "$OBS
    reset: [{term: jitter}]" \
  "game.env.reset.0.term: unknown reset term 'jitter' (allowed: noise, target_disc, zero_qvel)"
refuse e10.yaml "$OBS
    reward: [{term: ctrl_cost, wieght: 1}]" \
  "game.env.reward.0.wieght: unknown key (allowed: weight, term)"
refuse e11.yaml "$OBS
    frameskip: 4" \
  "game.env.frameskip: unknown key (allowed: xml, name, frame_skip, max_steps, xml_hash, kind, observation, reward, healthy, reset)"
refuse e12.yaml "$OBS
    reset: [{term: noise, of: qacc, scale: 1}]" \
  "game.env.reset.0.of: unknown value 'qacc' (allowed: qpos, qvel)"
refuse e13.yaml "$OBS
    reward: [{term: alive}, {term: alive, bonus: 2}]" \
  "game.env.reward.1.term: a second alive term (allowed: each reward term at most once)"
refuse e14.yaml "    reward: [{term: alive}]" \
  "game.env.observation: required: a list of at least one term (allowed terms: qpos"
refuse e15.yaml "$OBS
    healthy: [{term: range, joint: rootz, low: high}]" \
  "game.env.healthy.0.low: 'high' is not a number (allowed: numbers, .inf, -.inf)"
refuse e16.yaml "$OBS
    reward: [{term: forward, joint: rootx, body: torso}]" \
  "game.env.reward.0.body: name a joint or a body, exactly one (allowed: joint or body)"
refuse e17.yaml "    observation: [{term: vector, body: torso, target_body: foot, axes: xq}]" \
  "game.env.observation.0.axes: 'xq' (allowed: 1 to 3 of x, y, z, e.g. xy)"
refuse e18.yaml "    observation: {term: qpos}" \
  "game.env.observation: expected a list of terms"
printf 'game: {kind: rl, env: {kind: mujoco, xml: hopper.xml}}\n' >"$T/e19.yaml"
expect 2 "e19.yaml:1: game.env.kind: unknown env kind 'mujoco' (allowed: mjcf" -- "$GV" check "$T/e19.yaml"
printf 'game: {kind: rl, env: hoper}\n' >"$T/e20.yaml"
expect 2 "game.env: unknown value 'hoper' (allowed: hopper, walker2d" -- "$GV" check "$T/e20.yaml"
refuse e21.yaml "$OBS
  include_cfrc_ext_in_observation: false" \
  "game.include_cfrc_ext_in_observation: game.env's observation is its list of terms (allowed: true; leave out a cfrc_ext term instead)"

# --- the model file: missing, refused by MuJoCo, changed since the config was resolved
sed 's/xml: hopper.xml/xml: nothere.xml/' "$T/e1.yaml" >"$T/e22.yaml"
expect 2 "e22.yaml:5: game.env.xml: 'nothere.xml' not found (looked for $T/nothere.xml" -- "$GV" check "$T/e22.yaml"
printf '<mujoco><worldbody><body><joint type="sphere"/></body></worldbody></mujoco>\n' >"$T/bad.xml"
sed 's/xml: hopper.xml/xml: bad.xml/' "$T/e14.yaml" | sed 's/reward: \[{term: alive}\]/observation: [{term: qpos}]/' >"$T/e23.yaml"
expect 2 "e23.yaml:5: game.env.xml: MuJoCo can not load $T/bad.xml: XML Error" -- "$GV" check "$T/e23.yaml"
grep -q "sphere" "$T/err" && ok || bad "MuJoCo's message should name the bad value: $(cat "$T/err")"
printf '<mujoco><worldbody><body><joint name="j" type="hinge"/><geom size="0.1"/></body></worldbody><actuator><motor joint="j"/></actuator></mujoco>\n' >"$T/nolimit.xml"
sed 's/xml: bad.xml/xml: nolimit.xml/' "$T/e23.yaml" >"$T/e24.yaml"
expect 2 "game.env.xml: $T/nolimit.xml: actuator 0 ('') has no ctrlrange (allowed: actuators with ctrllimited=\"true\" and one common ctrlrange)" -- "$GV" check "$T/e24.yaml"
refuse e25.yaml "$OBS
    xml_hash: fnv1a64:0123456789abcdef" \
  "game.env.xml_hash: $T/hopper.xml changed: its content is fnv1a64:"

# --- gail and dac read the same key
printf 'game:\n  kind: gail\n  env: {kind: mjcf, xml: hopper.xml, name: pogo, observation: [{term: qpos}]}\n' >"$T/g1.yaml"
expect 2 "game.demos: demonstration file 'data/experts/pogo-demos.h5' not found" -- "$GV" check "$T/g1.yaml"
printf 'game:\n  kind: dac\n  env: {kind: mjcf, xml: hopper.xml, observation: [{term: qpos, exclude: rooty}]}\n' >"$T/g2.yaml"
expect 2 "holds observations of 11 and actions of 3 numbers, env hopper has 5 and 3" -- "$GV" check "$T/g2.yaml"

# --- runs: the built-in task and its config give the same series, bit for bit
same() { # same A.h5 B.h5: every series and the final evaluation equal
  $PY - "$1" "$2" <<'P' && ok || bad "$1 and $2 differ"
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r") for p in sys.argv[1:3])
names = sorted(k for k in a["series"] if not k.endswith("seconds") and "per_second" not in k)
assert names and names == sorted(k for k in b["series"] if k in names), names
for k in names:
    x, y = a["series"][k]["value"][:], b["series"][k]["value"][:]
    assert x.shape == y.shape and np.array_equal(x, y, equal_nan=True), k
assert a["summary"].attrs["final_eval_return_mean"] == b["summary"].attrs["final_eval_return_mean"]
assert a["policy"].attrs["hash"] == b["policy"].attrs["hash"]
P
}
short="--set run.steps=2048 --set run.eval_every=0 --set run.eval_episodes=2"
expect 0 "" -- "$GV" run configs/envs/hopper.yaml $short --out "$T/ppo-cfg.h5"
expect 0 "" -- "$GV" run configs/experts/hopper.yaml $short --out "$T/ppo-builtin.h5"
same "$T/ppo-cfg.h5" "$T/ppo-builtin.h5"
td3="--set agent.kind=td3 --set run.steps=1500 --set agent.learning_starts=1000 --set agent.hidden=64 --set run.eval_every=0 --set run.eval_episodes=2 --set run.envs=1"
expect 0 "" -- "$GV" run configs/envs/inverted_pendulum.yaml $td3 --out "$T/td3-cfg.h5"
expect 0 "" -- "$GV" run configs/experts/inverted_pendulum.yaml $td3 --out "$T/td3-builtin.h5"
same "$T/td3-cfg.h5" "$T/td3-builtin.h5"

# gail and dac: game.env given on the command line, the defaults of alive,
# ctrl_cost and state_range standing in for the hopper's numbers
HOPPER="{kind: mjcf, xml: $PWD/envs/assets/hopper.xml, frame_skip: 4, observation: [{term: qpos, skip: 1}, {term: qvel, clip: 10}], reward: [{term: forward, joint: rootx}, {term: alive}, {term: ctrl_cost}], healthy: [{term: state_range, skip: 2}, {term: range, joint: rootz, low: 0.7}, {term: range, joint: rooty, low: -0.2, high: 0.2}], reset: [{term: noise, of: qpos, scale: 5e-3}, {term: noise, of: qvel, scale: 5e-3}]}"
gshort="--set run.steps=2048 --set run.envs=2 --set run.eval_every=0 --set run.eval_episodes=1"
expect 0 "" -- "$GV" run configs/gail/hopper-gail.yaml $gshort --set "game.env=$HOPPER" --out "$T/gail-cfg.h5"
expect 0 "" -- "$GV" run configs/gail/hopper-gail.yaml $gshort --out "$T/gail-builtin.h5"
same "$T/gail-cfg.h5" "$T/gail-builtin.h5"
dshort="--set run.steps=1200 --set agent.learning_starts=1000 --set agent.hidden=64 --set run.eval_every=0 --set run.eval_episodes=1"
expect 0 "" -- "$GV" run configs/dac/hopper-dac.yaml $dshort --set "game.env=$HOPPER" --out "$T/dac-cfg.h5"
expect 0 "" -- "$GV" run configs/dac/hopper-dac.yaml $dshort --out "$T/dac-builtin.h5"
same "$T/dac-cfg.h5" "$T/dac-builtin.h5"

# the shipped example that is not built in: 8 observations, 2 actions, never terminates
for f in configs/envs/*.yaml; do expect 0 "ok (1 run)" -- "$GV" check "$f"; done
expect 0 "" -- "$GV" run configs/envs/swimmer.yaml $short --out "$T/swim.h5"
$PY - "$T/swim.h5" <<'P' && ok || bad "the swimmer's policy should see 8 numbers and give 2"
import sys, h5py
p = h5py.File(sys.argv[1], "r")["policy"]
assert p["obs_mean"].shape == (8,) and p["log_std"].shape == (2,), (p["obs_mean"].shape,)
assert h5py.File(sys.argv[1], "r")["summary"].attrs["env"] in ("swimmer", b"swimmer")
P

# --- the saved policy rebuilds its task: record works, a changed model is refused
expect 0 "2 episodes of hopper" -- "$GV" record "$T/ppo-cfg.h5" --episodes 2 --random-episodes 2 --eval-episodes 0 --out "$T/demo.h5"
$PY - "$T/ppo-cfg.h5" <<'P' && ok || bad "the policy should carry its env config"
import sys, h5py
c = h5py.File(sys.argv[1], "r")["policy"].attrs["env_config"]
c = c.decode() if isinstance(c, bytes) else c
assert "kind: mjcf" in c and "xml_hash: fnv1a64:" in c and "xml: /" in c, c
P
printf 'game:\n  kind: rl\n  env: {kind: mjcf, xml: hopper.xml, observation: [{term: qpos}]}\nagent: {kind: ppo}\nrun: {steps: 2048, eval_every: 0, eval_episodes: 1}\n' >"$T/own.yaml"
expect 0 "" -- "$GV" run "$T/own.yaml" --out "$T/own.h5"
echo "<!-- edited -->" >>"$T/hopper.xml"
expect 2 "own.h5:/policy env_config:" -- "$GV" record "$T/own.h5" --episodes 1 --out "$T/own-demo.h5"
grep -q "hopper.xml changed: its content is fnv1a64:" "$T/err" && ok || bad "record should name the changed model: $(cat "$T/err")"
[ ! -e "$T/own-demo.h5" ] && ok || bad "a refused record should write nothing"

testlib_end
