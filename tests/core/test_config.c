/* The config tree and the parameter loader: values, defaults written back,
 * and every kind of error with its file:line: key: message (allowed: ...). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"

typedef struct demo {
  double gamma;
  long steps;
  int flag;
  int mode;
  char label[GV_STR_MAX];
} demo;

static const char *const modes[] = {"fast", "slow", NULL};
static const gv_param specs[] = {
    GV_PARAM_REALX(demo, gamma, "0.5", 0, 10, GV_P_LO_OPEN, "gain"),
    GV_PARAM_INT(demo, steps, "100", 1, 1e9, "steps"),
    GV_PARAM_BOOL(demo, flag, "false", "a flag"),
    GV_PARAM_ENUM(demo, mode, "fast", modes, "mode"),
    GV_PARAM_STR(demo, label, "x", "label"),
    GV_PARAM_END,
};

static gv_status load(const char *text, demo *d, gv_err *err, gv_node **keep) {
  gv_node *root = NULL;
  gv_status s = gv_cfg_parse_string(text, "t.yaml", &root, err);
  if (s != GV_OK) return s;
  gv_cfg_ctx ctx = {"t.yaml", "ctl"};
  memset(d, 0, sizeof *d);
  s = gv_params_load(specs, root, NULL, &ctx, d, err);
  if (keep) *keep = root;
  else gv_node_free(root);
  return s;
}

static void test_values_and_defaults(void **state) {
  (void)state;
  demo d;
  gv_err err;
  gv_node *root;
  assert_int_equal(load("gamma: 0.3\nsteps: 1e5\nmode: slow\n", &d, &err, &root), GV_OK);
  assert_true(d.gamma == 0.3);
  assert_int_equal(d.steps, 100000);
  assert_int_equal(d.flag, 0);
  assert_int_equal(d.mode, 1);
  assert_string_equal(d.label, "x");
  /* defaults are written back: the tree is the resolved config */
  assert_string_equal(gv_map_str(root, "flag"), "false");
  assert_string_equal(gv_map_str(root, "label"), "x");
  char *y = gv_cfg_emit(root);
  assert_non_null(strstr(y, "gamma: 0.3"));
  assert_non_null(strstr(y, "steps: 1e5"));
  gv_node *again;
  assert_int_equal(gv_cfg_parse_string(y, "emitted", &again, &err), GV_OK);
  demo d2;
  memset(&d2, 0, sizeof d2);
  gv_cfg_ctx ctx = {"emitted", ""};
  assert_int_equal(gv_params_load(specs, again, NULL, &ctx, &d2, &err), GV_OK);
  assert_memory_equal(&d, &d2, sizeof d);
  free(y);
  gv_node_free(again);
  gv_node_free(root);
}

/* A game's own defaults over a shared table: written into the tree in
 * place of the table's, only for the component they name; a LIST row is
 * accepted and left to its owner. */
static void test_default_overrides(void **state) {
  (void)state;
  static const gv_param_default over[] = {
      {NULL, "steps", "7"}, {"other", "mode", "slow"}, {"mine", "label", "y"}, {NULL, NULL, NULL}};
  static const gv_param with_list[] = {GV_PARAM_INT(demo, steps, "100", 1, 1e9, "steps"),
                                       GV_PARAM_LIST("points", "[1, 2]", "a list"),
                                       GV_PARAM_END};
  gv_err err;
  gv_node *root;
  assert_int_equal(gv_cfg_parse_string("gamma: 1\n", "t.yaml", &root, &err), GV_OK);
  gv_cfg_ctx ctx = {"t.yaml", ""};
  demo d;
  memset(&d, 0, sizeof d);
  assert_int_equal(gv_params_load_over(specs, over, "mine", root, NULL, &ctx, &d, &err), GV_OK);
  assert_int_equal(d.steps, 7);
  assert_int_equal(d.mode, 0);              /* the override of another component */
  assert_string_equal(d.label, "y");
  assert_string_equal(gv_map_str(root, "steps"), "7");
  assert_string_equal(gv_map_str(root, "mode"), "fast");
  assert_string_equal(gv_param_default_of(&specs[1], over, NULL), "7");
  assert_string_equal(gv_param_default_of(&specs[3], over, "mine"), "fast");
  gv_node_free(root);
  assert_int_equal(gv_cfg_parse_string("points: [3, 4]\n", "t.yaml", &root, &err), GV_OK);
  assert_int_equal(gv_params_load(with_list, root, NULL, &ctx, &d, &err), GV_OK);
  assert_int_equal(d.steps, 100);
  assert_int_equal(gv_map_get(root, "points")->n, 2); /* left as written */
  gv_node_free(root);
}

static void expect_error(const char *text, const char *needle) {
  demo d;
  gv_err err = {{0}, {0}};
  gv_status s = load(text, &d, &err, NULL);
  assert_int_equal(s, GV_ECONFIG);
  if (!strstr(err.msg, needle)) fail_msg("message '%s' lacks '%s'", err.msg, needle);
}

static void test_errors(void **state) {
  (void)state;
  expect_error("gamma: 0.3\ngama: 1\n", "t.yaml:2: ctl.gama: unknown key (allowed: gamma, steps");
  expect_error("gamma: abc\n", "t.yaml:1: ctl.gamma: 'abc' is not a number (allowed: numbers in (0, 10])");
  expect_error("gamma: 0\n", "t.yaml:1: ctl.gamma: 0 is out of range (allowed: numbers in (0, 10])");
  expect_error("steps: 2.5\n", "ctl.steps: '2.5' is not an integer");
  expect_error("steps: 0\n", "ctl.steps: 0 is out of range (allowed: integers in [1, 1e+09])");
  expect_error("\n\nmode: medium\n", "t.yaml:3: ctl.mode: unknown value 'medium' (allowed: fast, slow)");
  expect_error("flag: maybe\n", "ctl.flag: 'maybe' is not a boolean (allowed: true, false)");
  expect_error("gamma: [0.1, 0.2]\n", "a list where one number is expected");
  expect_error("gamma: {a: 1}\n", "expected one number, found a mapping");
  expect_error("gamma: \"0.3\"\n", "'0.3' is not a number");
  expect_error("gamma: 1\ngamma: 2\n", "t.yaml:2: gamma: duplicate key");
  expect_error("gamma: [1, 2\n", "t.yaml:");
  /* the sweep-axis path is reported for a list */
  demo d;
  gv_err err = {{0}, {0}};
  load("steps: [1, 2]\n", &d, &err, NULL);
  assert_string_equal(err.axis, "ctl.steps");
}

static void test_set_and_merge(void **state) {
  (void)state;
  gv_err err;
  gv_node *root;
  assert_int_equal(gv_cfg_parse_string("a: {b: 1}\nl: [{k: 1}, {k: 2}]\n", "t", &root, &err),
                   GV_OK);
  assert_int_equal(gv_cfg_set(root, "a.b=2", &err), GV_OK);
  assert_int_equal(gv_cfg_set(root, "a.c.d=x", &err), GV_OK);
  assert_int_equal(gv_cfg_set(root, "l.1.k=5", &err), GV_OK);
  assert_int_equal(gv_cfg_set(root, "seed=[1, 2, 3]", &err), GV_OK);
  assert_string_equal(gv_cfg_lookup(root, "a.b")->value, "2");
  assert_string_equal(gv_cfg_lookup(root, "a.c.d")->value, "x");
  assert_string_equal(gv_cfg_lookup(root, "l.1.k")->value, "5");
  assert_int_equal(gv_cfg_lookup(root, "seed")->kind, GV_NODE_SEQ);
  assert_int_equal(gv_cfg_set(root, "l.7.k=1", &err), GV_EINVAL);
  assert_non_null(strstr(err.msg, "not an index of a 2-item list"));
  assert_int_equal(gv_cfg_set(root, "novalue", &err), GV_EINVAL);
  assert_int_equal(gv_cfg_set(root, "a.b.c=1", &err), GV_EINVAL);

  gv_node *over;
  assert_int_equal(gv_cfg_parse_string("a: {b: 9}\nl: []\n", "o", &over, &err), GV_OK);
  gv_cfg_merge(root, over);
  assert_string_equal(gv_cfg_lookup(root, "a.b")->value, "9");
  assert_string_equal(gv_cfg_lookup(root, "a.c.d")->value, "x"); /* maps merge */
  assert_int_equal(gv_cfg_lookup(root, "l")->n, 0);               /* lists are replaced */
  gv_node_free(over);
  gv_node_free(root);
}

/* Code's settings land on the file's lines; a user's --set is marked as such,
 * and a message about it says "(--set)" instead of a line holding another value. */
static void test_set_lines(void **state) {
  (void)state;
  gv_err err;
  gv_node *a, *b;
  const char *text = "x: 1\ns:\n  h: 0.2\n  k: 3\n";
  assert_int_equal(gv_cfg_parse_string(text, "t", &a, &err), GV_OK);
  assert_int_equal(gv_cfg_parse_string(text, "t", &b, &err), GV_OK);
  const char *sets[] = {"s.h=-1", "s.new=2", "n.m=1", "s={h: 5}"};
  for (int i = 0; i < 3; ++i) {
    assert_int_equal(gv_cfg_set(a, sets[i], &err), GV_OK);
    assert_int_equal(gv_cfg_override(b, sets[i], &err), GV_OK);
  }
  const gv_node *sa = gv_map_get(a, "s"), *sb = gv_map_get(b, "s");
  assert_int_equal(gv_map_key_line(sa, "h"), 3); /* the key's own line */
  assert_int_equal(gv_cfg_lookup(a, "s.h")->line, 3);
  assert_int_equal(gv_map_key_line(sa, "new"), sa->line); /* the section's */
  assert_int_equal(gv_map_key_line(sa, "k"), 4);
  assert_int_equal(gv_map_key_line(sb, "h"), GV_LINE_SET);
  assert_int_equal(gv_cfg_lookup(b, "s.h")->line, GV_LINE_SET);
  assert_int_equal(gv_map_key_line(sb, "new"), GV_LINE_SET);
  assert_int_equal(gv_map_key_line(sb, "k"), 4); /* untouched keys keep theirs */
  assert_int_equal(gv_map_key_line(b, "n"), GV_LINE_SET);
  assert_int_equal(gv_cfg_lookup(b, "n")->line, GV_LINE_SET);
  assert_int_equal(gv_map_key_line(gv_map_get(b, "n"), "m"), GV_LINE_SET);
  assert_int_equal(gv_cfg_override(b, sets[3], &err), GV_OK); /* a whole section */
  assert_int_equal(gv_map_key_line(b, "s"), GV_LINE_SET);
  assert_int_equal(gv_map_key_line(gv_map_get(b, "s"), "h"), GV_LINE_SET);
  assert_int_equal(gv_map_key_line(b, "x"), 1);

  char where[256];
  gv_cfg_ctx ctx = {.file = "f.yaml", .path = "s"};
  gv_cfg_where(where, sizeof where, &ctx, GV_LINE_SET, "h");
  assert_string_equal(where, "f.yaml (--set): s.h");
  gv_cfg_where(where, sizeof where, &ctx, 3, "h");
  assert_string_equal(where, "f.yaml:3: s.h");
  /* a message located at a --set value is not located again */
  snprintf(err.msg, sizeof err.msg, "f.yaml (--set): s.h: bad");
  gv_cfg_locate(GV_ECONFIG, &err, &ctx, sb, "k");
  assert_string_equal(err.msg, "f.yaml (--set): s.h: bad");
  snprintf(err.msg, sizeof err.msg, "bad");
  gv_cfg_locate(GV_ECONFIG, &err, &ctx, gv_map_get(b, "s"), "h");
  assert_string_equal(err.msg, "f.yaml (--set): s.h: bad");
  /* a merge (a sweep's variant) over a --set key: the key takes the variant's line */
  gv_node *over;
  assert_int_equal(gv_cfg_parse_string("\n\ns: {h: -1}\n", "t", &over, &err), GV_OK);
  gv_cfg_merge(b, over);
  assert_int_equal(gv_map_key_line(gv_map_get(b, "s"), "h"), 3);
  gv_node_free(over);
  gv_node_free(a);
  gv_node_free(b);
}

static void test_file_errors(void **state) {
  (void)state;
  gv_err err;
  gv_node *root = NULL;
  assert_int_equal(gv_cfg_parse_file("/nonexistent/x.yaml", &root, &err), GV_EINVAL);
  assert_non_null(strstr(err.msg, "/nonexistent/x.yaml: cannot open"));
  assert_int_equal(gv_cfg_parse_string("", "empty", &root, &err), GV_OK);
  assert_int_equal(root->kind, GV_NODE_MAP);
  gv_node_free(root);
}


/* Hostile input: the top level of a config file must be a mapping. */
static void test_top_level_not_a_mapping(void **state) {
  (void)state;
  static const char *const texts[] = {"hello\n", "[1, 2]\n", "- a\n- b\n", "42\n"};
  char path[] = "/tmp/gv-test-config-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  for (size_t i = 0; i < sizeof texts / sizeof *texts; ++i) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(texts[i], f);
    fclose(f);
    gv_err err = {{0}, {0}};
    gv_node *root = (gv_node *)&err; /* must be reset */
    assert_int_equal(gv_cfg_load(path, &root, &err), GV_ECONFIG);
    assert_null(root);
    char want[64];
    snprintf(want, sizeof want, "%s:1: the config must be a mapping", path);
    assert_non_null(strstr(err.msg, want));
  }
  remove(path);
}

/* Nesting past GV_CFG_MAX_DEPTH is an error, not a stack overflow, however
 * deep (40,000 levels here) and through --set as well. */
static void test_deep_nesting(void **state) {
  (void)state;
  const size_t deep = 40000;
  char *text = malloc(2 * deep + 16);
  assert_non_null(text);
  for (int closed = 0; closed < 2; ++closed) {
    size_t o = (size_t)sprintf(text, "a: ");
    for (size_t i = 0; i < deep; ++i) text[o++] = '[';
    for (size_t i = 0; closed && i < deep; ++i) text[o++] = ']';
    text[o] = 0;
    gv_err err = {{0}, {0}};
    gv_node *root = NULL;
    assert_int_equal(gv_cfg_parse_string(text, "deep.yaml", &root, &err), GV_ECONFIG);
    assert_non_null(strstr(err.msg, "deep.yaml:1: nested too deeply"));
    gv_node *r2 = NULL;
    assert_int_equal(gv_cfg_parse_string("a: 1\n", "t", &r2, &err), GV_OK);
    text[1] = '=';
    assert_int_equal(gv_cfg_set(r2, text, &err), GV_EINVAL);
    assert_non_null(strstr(err.msg, "nested too deeply"));
    gv_node_free(r2);
  }
  /* the limit itself is fine */
  size_t o = 0;
  for (int i = 0; i < GV_CFG_MAX_DEPTH; ++i) text[o++] = '[';
  for (int i = 0; i < GV_CFG_MAX_DEPTH; ++i) text[o++] = ']';
  text[o] = 0;
  gv_err err;
  gv_node *root = NULL;
  assert_int_equal(gv_cfg_parse_string(text, "ok", &root, &err), GV_OK);
  gv_node_free(root);
  free(text);
}

/* A mapping of 200,000 keys parses (and is cloned) in linear time, and a
 * duplicate among them is still found, with its line. */
static void test_many_keys(void **state) {
  (void)state;
  const int n = 200000;
  char *text = malloc((size_t)n * 24 + 32);
  assert_non_null(text);
  size_t o = 0;
  for (int i = 0; i < n; ++i) o += (size_t)sprintf(text + o, "k%d: %d\n", i, i);
  gv_err err;
  gv_node *root = NULL;
  assert_int_equal(gv_cfg_parse_string(text, "big.yaml", &root, &err), GV_OK);
  assert_int_equal(root->n, (size_t)n);
  gv_node *c = gv_node_clone(root);
  assert_string_equal(gv_map_str(c, "k199999"), "199999");
  gv_node_free(c);
  gv_node_free(root);
  sprintf(text + o, "k123456: again\n");
  assert_int_equal(gv_cfg_parse_string(text, "big.yaml", &root, &err), GV_ECONFIG);
  assert_non_null(strstr(err.msg, "big.yaml:200001: k123456: duplicate key"));
  free(text);
}

/* Config text made into a path component never escapes its folder. */
static void test_safe_name(void **state) {
  (void)state;
  static const char *const cases[][2] = {
      {"../../x", "_._.._x"}, {"x/../../../../elsewhere/y", "x_.._.._.._.._elsewhere_y"},
      {"..", "_."},           {".", "_"},
      {"", "_"},              {"rho1=0.001,seed=2", "rho1=0.001,seed=2"},
      {"a b\t\"c\"", "a_b__c_"}, {"-x.h5", "-x.h5"},
      {"\xce\xb1\n/\x7f", "\xce\xb1___"}, /* UTF-8 kept, control bytes not */
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; ++i) {
    char buf[64];
    gv_cfg_safe_name(cases[i][0], buf, sizeof buf);
    assert_string_equal(buf, cases[i][1]);
  }
  char small[4];
  gv_cfg_safe_name("abcdef", small, sizeof small);
  assert_string_equal(small, "abc");

  /* file names: longer than `keep` is a prefix, '~' and a hash of it all */
  char f[64], g[64];
  gv_cfg_safe_file_name("abcde", 5, f, sizeof f);
  assert_string_equal(f, "abcde");
  gv_cfg_safe_file_name("abcdefgh", 5, f, sizeof f);
  gv_cfg_safe_file_name("abcdefgi", 5, g, sizeof g);
  assert_int_equal(strlen(f), 5 + 17);
  assert_memory_equal(f, "abcde~", 6);
  assert_string_not_equal(f, g); /* same prefix, other names: other files */
  gv_cfg_safe_file_name("a\xce\xb1\xce\xb2\xce\xb3", 4, f, sizeof f); /* a, alpha, beta, gamma */
  assert_memory_equal(f, "a\xce\xb1~", 4); /* beta not split: cut at 3 */
  assert_int_equal(strlen(f), 3 + 17);
  gv_cfg_safe_file_name("../x/abcdefgh", 5, f, sizeof f);
  assert_memory_equal(f, "_._x_~", 6); /* still a safe name */
  gv_cfg_safe_file_name("abcdefgh", 5, small, sizeof small); /* no room for the hash */
  assert_string_equal(small, "abc");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_values_and_defaults),
      cmocka_unit_test(test_default_overrides),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_set_and_merge),
      cmocka_unit_test(test_set_lines),
      cmocka_unit_test(test_file_errors),
      cmocka_unit_test(test_top_level_not_a_mapping),
      cmocka_unit_test(test_deep_nesting),
      cmocka_unit_test(test_many_keys),
      cmocka_unit_test(test_safe_name),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
