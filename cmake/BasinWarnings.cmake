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
