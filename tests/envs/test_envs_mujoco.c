/* MuJoCo's errors become governor errors and its warnings become data
 * (envs/env.c): an allocation failure inside mj_makeData is GV_ENOMEM with
 * MuJoCo's message, an error outside governor's calls exits with status 1
 * and a message instead of MuJoCo's "Press Enter to exit" on stdin, and
 * warnings are counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "envs/env.h"

static int fail_malloc;

/* MuJoCo lays out its buffers for 64-byte aligned blocks */
static void *fake_malloc(size_t n) {
  return fail_malloc ? NULL : aligned_alloc(64, (n + 63) / 64 * 64);
}
static void fake_free(void *p) { free(p); }

static void test_alloc_failure_is_enomem(void **state) {
  gv_env_task *task = *state;
  gv_err err = {{0}, {0}};
  /* MuJoCo 2.2.2 routes every allocation through mju_malloc, which calls
   * mju_error when it gets NULL: without governor's handler this printed
   * "Press Enter to exit" and read stdin */
  mju_user_malloc = fake_malloc;
  mju_user_free = fake_free;
  fail_malloc = 1;
  gv_env *env = NULL;
  assert_int_equal(gv_env_alloc(&env, task, &err), GV_ENOMEM);
  assert_null(env);
  assert_non_null(strstr(err.msg, "MuJoCo: Could not allocate memory"));
  fail_malloc = 0;
  /* and the next allocation works again */
  assert_int_equal(gv_env_alloc(&env, task, &err), GV_OK);
  gv_env_free(env);
  mju_user_malloc = NULL;
  mju_user_free = NULL;
}

static void test_error_elsewhere_exits(void **state) {
  (void)state; /* the handlers are installed (setup) */
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 2);
    close(fds[0]);
    /* stdin stays open and empty: MuJoCo's default handler would block */
    mju_error("boom");
    _exit(99);
  }
  close(fds[1]);
  char buf[512] = "";
  ssize_t n = read(fds[0], buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  close(fds[0]);
  int wst;
  assert_int_equal(waitpid(pid, &wst, 0), pid);
  assert_true(WIFEXITED(wst));
  assert_int_equal(WEXITSTATUS(wst), 1);
  assert_non_null(strstr(buf, "governor: MuJoCo error: boom"));
  assert_null(strstr(buf, "Press Enter"));
}

static void test_warnings_are_counted(void **state) {
  (void)state; /* the handlers are installed (setup) */
  const long before = gv_env_mujoco_warnings();
  mju_warning("a test warning");
  mju_warning_i("a test warning %d", 2);
  assert_int_equal(gv_env_mujoco_warnings(), before + 2);
}

/* gv_env_task_alloc installs governor's handlers */
static int setup(void **state) {
  gv_env_task *task;
  gv_err err = {{0}, {0}};
  if (gv_env_task_alloc(&task, "hopper", NULL, &err)) return -1;
  *state = task;
  return 0;
}

static int teardown(void **state) {
  gv_env_task_free(*state);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_alloc_failure_is_enomem),
      cmocka_unit_test(test_error_elsewhere_exits),
      cmocka_unit_test(test_warnings_are_counted),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
