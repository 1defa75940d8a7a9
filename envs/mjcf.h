/* A MuJoCo task from a config: any MJCF file, with the observation, reward,
 * termination and reset noise assembled from a small menu of terms.
 *
 *   game:
 *     env:
 *       kind: mjcf
 *       xml: swimmer.xml          # relative to the config file's folder
 *       frame_skip: 4
 *       max_steps: 1000
 *       observation: [{term: qpos, exclude: [slide_x, slide_y]}, {term: qvel}]
 *       reward: [{term: forward, joint: slide_x}, {term: ctrl_cost, weight: 1e-4}]
 *       healthy: []               # never terminates
 *       reset: [{term: noise, of: qpos, scale: 0.1}]
 *
 * Every term is a component (name, summary, parameter table) in one of four
 * registries, so `governor list env` prints the menu; docs/envs.md gives each
 * term's formula.  Names of bodies, joints and sites are resolved against
 * the model when the config is checked: a name the model lacks is a config
 * error that lists the model's names.  The resolved config holds the XML's
 * absolute path and its content hash (xml_hash), so a stored config or a
 * saved policy rebuilds the same task, and a changed model is refused. */
#ifndef GV_ENVS_MJCF_H
#define GV_ENVS_MJCF_H

#include <stdio.h>

#include "core/registry.h"
#include "envs/env.h"

/* The keys of the env mapping besides the four term lists and `kind`. */
extern const gv_component gv_mjcf_component;
/* The menu, one registry per list: observation, reward, healthy, reset. */
extern const gv_registry gv_mjcf_observation_terms, gv_mjcf_reward_terms,
    gv_mjcf_healthy_terms, gv_mjcf_reset_terms;

/* `governor list env`: the built-in tasks, then the mjcf kind's keys and
 * every term of its menu with its parameters. */
void gv_mjcf_print(FILE *f);

/* Validates the env mapping `env` (kind: mjcf; messages name ctx->file and
 * ctx->path, e.g. "game.env"), loads the model, resolves every name and
 * returns the task.  A relative xml is resolved against the folder of
 * `config_file` (NULL: the working directory).  Writes the defaults, the
 * absolute xml path and xml_hash into `env`.  Bad input is GV_ECONFIG. */
gv_status gv_mjcf_task_alloc(gv_env_task **task, gv_node *env, const char *config_file,
                             const gv_cfg_ctx *ctx, gv_err *err);

/* game.env of an experiment's game mapping: a built-in task's name (the
 * section's ENUM, already loaded as `index`) or a mapping {kind: mjcf, ...}.
 * A name gives *type = gv_env_types[index] and *task = NULL; a mapping
 * gives its loaded task in *task (the caller frees it) and *type =
 * (*task)->type.  path is the game section's dotted path ("game"). */
gv_status gv_env_config(const gv_env_type **type, gv_env_task **task, gv_node *game, int index,
                        const char *file, const char *path, gv_err *err);

/* Rebuilds the task a saved policy names: from its env config (the YAML
 * text of the resolved env mapping) when it has one, else the built-in task
 * `name` with the contact-force option cfrc.  `where` prefixes messages. */
gv_status gv_env_task_rebuild(gv_env_task **task, const char *name, const char *config,
                              int cfrc, const char *where, gv_err *err);

#endif
