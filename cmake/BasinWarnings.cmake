# Warnings, floating-point contract and sanitizers for every Basin target.
add_compile_options(-Wall -Wextra)
if(BASIN_WERROR)
  add_compile_options(-Werror)
endif()
# Bit-for-bit reproducibility: g++ contracts a*b+c into FMA with -march flags
# even in ISO mode; replicas are compared bit for bit, so forbid it everywhere.
add_compile_options(-ffp-contract=off)

if(BASIN_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# With BASIN_FUZZ (clang), every Basin source carries libFuzzer's coverage
# instrumentation, so the fuzz targets (tests/fuzz) explore the parsers' own
# branches; the unit tests of the same tree run unaffected by it.
if(BASIN_FUZZ AND CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# basin_hot_arithmetic(TARGET): TARGET's loops (field and curve arithmetic,
# inference kernels) are compiled at -O1 even in Debug builds, as ASan's own
# documentation advises: at -O0 under ASan and fuzzing coverage they run
# 20-50x slower than at -O1, and their tests take minutes instead of seconds.
function(basin_hot_arithmetic target)
  if(CMAKE_BUILD_TYPE STREQUAL "Debug")
    target_compile_options(${target} PRIVATE -O1)
  endif()
endfunction()
