# lantern_defaults(target): warnings (as errors for Lantern's own code), sanitizers, include root.
function(lantern_defaults target)
  get_target_property(kind ${target} TYPE)
  if(kind STREQUAL "INTERFACE_LIBRARY")
    target_include_directories(${target} INTERFACE ${PROJECT_SOURCE_DIR})
    return()
  endif()
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
  if(LANTERN_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(LANTERN_SANITIZE)
    # GCC 12 reports false maybe-uninitialized warnings inside std::variant under -fsanitize.
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
endfunction()

if(LANTERN_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# lantern_uses_caf(target): for targets that spawn CAF actors. CAF 0.17's init_fun_factory.hpp
# binds a reference to a null shared_ptr<std::tuple<>> when an actor is spawned; UBSan's null
# check fires inside CAF's header, not in Lantern's code, so that one check is off there.
function(lantern_uses_caf target)
  if(LANTERN_SANITIZE)
    target_compile_options(${target} PRIVATE -fno-sanitize=null)
  endif()
endfunction()
