/* ONNX Runtime's per-node profile of a model, for profile_steps.py:
 *   ort_profile LIBONNXRUNTIME.so MODEL.onnx THREADS BATCH RUNS DIM... PREFIX
 * Loads the CPU library that ships inside npm's onnxruntime-node 1.20.1 (the
 * package has no C header, so the C API is reached through its function
 * table, OrtApi version 20, by the index of each function in
 * onnxruntime_c_api.h of that release), sets the session up as
 * ort_bench.js does (THREADS intra-op threads, one inter-op thread,
 * sequential execution, all graph optimisations) with profiling on, runs
 * RUNS times on random inputs of [BATCH, DIM...] and prints the path of the
 * profile ONNX Runtime wrote (Chrome trace JSON, one event a node a run). */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef void* Status; /* OrtStatus*: NULL on success */
typedef struct {
  void** (*GetApi)(uint32_t version);
  const char* (*GetVersionString)(void);
} ApiBase;

/* Indices into OrtApi (onnxruntime_c_api.h, 1.20). */
enum {
  kGetErrorMessage = 2,
  kCreateEnv = 3,
  kCreateSession = 7,
  kRun = 9,
  kCreateSessionOptions = 10,
  kSetSessionExecutionMode = 13,
  kEnableProfiling = 14,
  kSetSessionGraphOptimizationLevel = 23,
  kSetIntraOpNumThreads = 24,
  kSetInterOpNumThreads = 25,
  kSessionGetInputName = 36,
  kSessionGetOutputName = 37,
  kCreateTensorWithDataAsOrtValue = 49,
  kCreateCpuMemoryInfo = 69,
  kGetAllocatorWithDefaultOptions = 78,
  kReleaseValue = 96,
  kSessionEndProfiling = 110,
};

static void** api;
#define CALL(index, type, ...) ((type)api[index])(__VA_ARGS__)

static void check(Status s, const char* what) {
  if (!s) return;
  fprintf(stderr, "ort_profile: %s: %s\n", what,
          CALL(kGetErrorMessage, const char* (*)(Status), s));
  exit(1);
}

int main(int argc, char** argv) {
  if (argc < 8) {
    fprintf(stderr,
            "usage: ort_profile LIBONNXRUNTIME.so MODEL.onnx THREADS BATCH RUNS DIM... PREFIX\n");
    return 2;
  }
  void* lib = dlopen(argv[1], RTLD_NOW);
  if (!lib) {
    fprintf(stderr, "ort_profile: %s\n", dlerror());
    return 1;
  }
  ApiBase* (*base)(void) = (ApiBase * (*)(void)) dlsym(lib, "OrtGetApiBase");
  if (!base || !(api = base()->GetApi(20))) {
    fprintf(stderr, "ort_profile: %s is not ONNX Runtime 1.20 or later\n", argv[1]);
    return 1;
  }
  const int threads = atoi(argv[3]), runs = atoi(argv[5]);
  if (threads < 1 || runs < 1 || atoll(argv[4]) < 1) {
    fprintf(stderr, "ort_profile: THREADS, BATCH and RUNS must be at least 1\n");
    return 2;
  }
  void *env, *opts, *session, *memory, *allocator, *input;
  check(CALL(kCreateEnv, Status(*)(int, const char*, void**), 3, "basin", &env), "CreateEnv");
  check(CALL(kCreateSessionOptions, Status(*)(void**), &opts), "CreateSessionOptions");
  check(CALL(kSetIntraOpNumThreads, Status(*)(void*, int), opts, threads), "intra-op threads");
  check(CALL(kSetInterOpNumThreads, Status(*)(void*, int), opts, 1), "inter-op threads");
  check(CALL(kSetSessionExecutionMode, Status(*)(void*, int), opts, 0), "sequential execution");
  check(CALL(kSetSessionGraphOptimizationLevel, Status(*)(void*, int), opts, 99),
        "graph optimisations");
  check(CALL(kEnableProfiling, Status(*)(void*, const char*), opts, argv[argc - 1]),
        "EnableProfiling");
  check(CALL(kCreateSession, Status(*)(void*, const char*, void*, void**), env, argv[2], opts,
             &session),
        argv[2]);
  int64_t shape[16];
  size_t rank = 0, count = 1;
  shape[rank++] = atoll(argv[4]);
  for (int k = 6; k < argc - 1 && rank < 16; ++k) shape[rank++] = atoll(argv[k]);
  for (size_t d = 0; d < rank; ++d) count *= (size_t)shape[d];
  float* x = malloc(count * sizeof(float));
  if (!x) {
    fprintf(stderr, "ort_profile: no memory for %zu input floats\n", count);
    return 1;
  }
  srand(1);
  for (size_t i = 0; i < count; ++i) x[i] = (float)rand() / (float)RAND_MAX;
  check(CALL(kCreateCpuMemoryInfo, Status(*)(int, int, void**), 1, 0, &memory), "memory info");
  check(CALL(kCreateTensorWithDataAsOrtValue,
             Status(*)(void*, void*, size_t, const int64_t*, size_t, int, void**), memory, x,
             count * sizeof(float), shape, rank, 1, &input),
        "input tensor");
  check(CALL(kGetAllocatorWithDefaultOptions, Status(*)(void**), &allocator), "allocator");
  char *input_name, *output_name;
  check(CALL(kSessionGetInputName, Status(*)(void*, size_t, void*, char**), session, 0, allocator,
             &input_name),
        "input name");
  check(CALL(kSessionGetOutputName, Status(*)(void*, size_t, void*, char**), session, 0, allocator,
             &output_name),
        "output name");
  for (int r = 0; r < runs; ++r) {
    void* output = NULL;
    check(CALL(kRun,
               Status(*)(void*, void*, const char* const*, void* const*, size_t, const char* const*,
                         size_t, void**),
               session, NULL, (const char* const*)&input_name, &input, 1,
               (const char* const*)&output_name, 1, &output),
          "Run");
    CALL(kReleaseValue, void (*)(void*), output);
  }
  char* file;
  check(CALL(kSessionEndProfiling, Status(*)(void*, void*, char**), session, allocator, &file),
        "SessionEndProfiling");
  printf("%s\n", file);
  return 0;
}
