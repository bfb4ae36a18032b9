/*
 * Callgrind client requests for the runner: dump(label) writes the counts
 * collected since the last dump to a file of their own, named by label, so
 * each inference is counted apart; startInstrumentation() ends the fast,
 * uninstrumented start (node and the model load) before the first inference.
 * Outside valgrind every request is a no-op.
 */
#include <node_api.h>
#include <valgrind/callgrind.h>

static napi_value dump(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char label[128] = "edgebench";
  size_t length = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc > 0) napi_get_value_string_utf8(env, argv[0], label, sizeof label, &length);
  CALLGRIND_DUMP_STATS_AT(label);
  return NULL;
}

static napi_value zero(napi_env env, napi_callback_info info) {
  CALLGRIND_ZERO_STATS;
  return NULL;
}

static napi_value startInstrumentation(napi_env env, napi_callback_info info) {
  CALLGRIND_START_INSTRUMENTATION;
  return NULL;
}

static napi_value underValgrind(napi_env env, napi_callback_info info) {
  napi_value result;
  napi_get_boolean(env, RUNNING_ON_VALGRIND ? 1 : 0, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
      {"dump", NULL, dump, NULL, NULL, NULL, napi_default, NULL},
      {"zero", NULL, zero, NULL, NULL, NULL, napi_default, NULL},
      {"startInstrumentation", NULL, startInstrumentation, NULL, NULL, NULL, napi_default, NULL},
      {"underValgrind", NULL, underValgrind, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof methods / sizeof methods[0], methods);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
