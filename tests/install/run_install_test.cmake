# cmake -P script run by the install_package test (tests/install/CMakeLists.txt).
#   BUILD_DIR    the uvmsim build tree (already built)
#   WORK_DIR     scratch directory: prefix/ and consumer-build/ go here
#   SOURCE_DIR   the uvmsim source tree
#   CONFIG GENERATOR MAKE_PROGRAM CXX_COMPILER WERROR HAVE_CLI
cmake_minimum_required(VERSION 3.25)

set(prefix ${WORK_DIR}/prefix)
set(consumer_build ${WORK_DIR}/consumer-build)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run what)
  execute_process(COMMAND ${ARGN}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${ARGN}\n--- stdout\n${out}\n--- stderr\n${err}")
  endif()
  set(run_out "${out}" PARENT_SCOPE)
endfunction()

function(expect_match what text regex)
  if(NOT text MATCHES "${regex}")
    message(FATAL_ERROR "${what}: output does not match '${regex}':\n${text}")
  endif()
endfunction()

# 1. Install.
set(config_args "")
if(CONFIG)
  set(config_args --config ${CONFIG})
endif()
run("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix} ${config_args})

# 2. What landed: the package files, the library, only public headers.
file(GLOB_RECURSE config_files ${prefix}/*/uvmsimConfig.cmake)
file(GLOB_RECURSE version_files ${prefix}/*/uvmsimConfigVersion.cmake)
file(GLOB_RECURSE libs ${prefix}/*/libuvmsim.a ${prefix}/*/libuvmsim.so)
if(NOT config_files OR NOT version_files OR NOT libs)
  message(FATAL_ERROR "install: missing uvmsimConfig.cmake, uvmsimConfigVersion.cmake or "
                      "libuvmsim in ${prefix}")
endif()
if(NOT EXISTS ${prefix}/include/uvmsim/machine.h)
  message(FATAL_ERROR "install: ${prefix}/include/uvmsim/machine.h missing")
endif()
file(GLOB_RECURSE installed_headers LIST_DIRECTORIES false ${prefix}/include/*)
foreach(h IN LISTS installed_headers)
  if(NOT h MATCHES "/include/uvmsim/[^/]+\\.h$" AND NOT h MATCHES "/include/uvmsim/internal/(core|pagers)/[^/]+\\.h$")
    message(FATAL_ERROR "install: unexpected header ${h}")
  endif()
  # A public header may include the standard library, Abseil and other
  # public headers; an internal one also the other internal headers. Every
  # quoted include resolves inside the installed tree (nothing from src/).
  file(STRINGS ${h} includes REGEX "^[ \t]*#[ \t]*include")
  foreach(inc IN LISTS includes)
    if(h MATCHES "/internal/")
      set(allowed "<[a-z_0-9./]+>|\"(uvmsim|absl|core|pagers)/[^\"]+\"")
    else()
      set(allowed "<[a-z_0-9]+>|\"(uvmsim|absl)/[^\"]+\"")
    endif()
    if(NOT inc MATCHES "${allowed}")
      message(FATAL_ERROR "install: ${h} has a non-public include: ${inc}")
    endif()
    if(inc MATCHES "\"(uvmsim|core|pagers)/([^\"]+)\"")
      set(inc_file ${CMAKE_MATCH_1}/${CMAKE_MATCH_2})
      if(NOT EXISTS ${prefix}/include/${inc_file} AND NOT EXISTS ${prefix}/include/uvmsim/internal/${inc_file})
        message(FATAL_ERROR "install: ${h} includes ${inc_file}, not installed")
      endif()
    endif()
  endforeach()
endforeach()
# Every type the public API returns has its header installed.
foreach(hdr uvmsim/internal/core/uvm.h uvmsim/internal/core/vmspace.h uvmsim/dump.h)
  if(NOT EXISTS ${prefix}/include/${hdr})
    message(FATAL_ERROR "install: ${hdr} missing")
  endif()
endforeach()
# The docs with their images, the examples, the pkg-config file.
file(GLOB_RECURSE installed_pngs ${prefix}/share/doc/*/img/*.png)
file(GLOB_RECURSE installed_policy ${prefix}/share/doc/*/examples/policy_demo.cpp)
file(GLOB_RECURSE installed_guide ${prefix}/share/doc/*/user-guide.md)
file(GLOB_RECURSE pc_files ${prefix}/*/uvmsim.pc)
if(NOT installed_pngs OR NOT installed_policy OR NOT installed_guide OR NOT pc_files)
  message(FATAL_ERROR "install: docs images (${installed_pngs}), examples/policy_demo.cpp "
                      "(${installed_policy}), user-guide.md or uvmsim.pc (${pc_files}) missing")
endif()

# 3. Configure and build the consumer against the prefix only (no package
#    registry, no build tree), with the same compiler and generator.
set(gen_args -G ${GENERATOR})
if(MAKE_PROGRAM)
  list(APPEND gen_args -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
endif()
set(build_type "")
if(CONFIG)
  set(build_type -DCMAKE_BUILD_TYPE=${CONFIG})
endif()
run("consumer configure" ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/install/consumer
  -B ${consumer_build} ${gen_args} ${build_type}
  -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
  -DCMAKE_PREFIX_PATH=${prefix}
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  "-DCMAKE_CXX_FLAGS=-Wall -Wextra"
  -DCMAKE_COMPILE_WARNING_AS_ERROR=${WERROR}
  -DUVMSIM_README_EXAMPLE=${SOURCE_DIR}/examples/readme_example.cpp
  -DUVMSIM_POLICY_EXAMPLE=${installed_policy})
file(STRINGS ${consumer_build}/CMakeCache.txt found_dir REGEX "^uvmsim_DIR:")
string(FIND "${found_dir}" "${prefix}/" at)
if(NOT at GREATER -1)
  message(FATAL_ERROR "consumer: found uvmsim outside the install prefix: ${found_dir}")
endif()
run("consumer build" ${CMAKE_COMMAND} --build ${consumer_build} ${config_args})

# 4. Run what was built.
function(find_program_built var name)
  file(GLOB_RECURSE found LIST_DIRECTORIES false ${consumer_build}/${name} ${consumer_build}/*/${name})
  if(NOT found)
    message(FATAL_ERROR "consumer: ${name} was not built")
  endif()
  list(GET found 0 first)
  set(${var} ${first} PARENT_SCOPE)
endfunction()

find_program_built(cow_demo cow_demo)
run("cow_demo" ${cow_demo})
message(STATUS "cow_demo:\n${run_out}")
expect_match(cow_demo "${run_out}" "parent reads hello, child reads HELLO\n")
expect_match(cow_demo "${run_out}" "anon COW faults \\(case 1B\\) for the child's write: 1, pages copied: 1\n")
expect_match(cow_demo "${run_out}" "page 1 shared: yes\n")
expect_match(cow_demo "${run_out}" "read of an unmapped page: SIGSEGV\n")
expect_match(cow_demo "${run_out}" "mprotect of an unaligned address: EINVAL\n")
expect_match(cow_demo "${run_out}" "checker: ok\n")

find_program_built(policy_demo policy_demo)
run("policy_demo" ${policy_demo})
message(STATUS "policy_demo:\n${run_out}")
expect_match(policy_demo "${run_out}" "clock +pages written to swap +[1-9][0-9]*,.* check ok\n")
expect_match(policy_demo "${run_out}" "clean-first +pages written to swap +[1-9][0-9]*,.* check ok\n")
expect_match(policy_demo "${run_out}" "lfu +pages written to swap +[1-9][0-9]*,.* check ok\n")
expect_match(policy_demo "${run_out}" "replay lfu  faults [0-9]+ of 400 accesses\n")
expect_match(policy_demo "${run_out}" "replay lru  faults [0-9]+ of 400 accesses\n")

find_program_built(inspect inspect)
run("inspect" ${inspect})
expect_match(inspect "${run_out}" "^entries 1, anons 2, dumped anons 2, process faults 2\n$")

find_program_built(readme_example readme_example)
run("readme_example" ${readme_example})
expect_match(readme_example "${run_out}" "^parent sees hello; COW faults: 1; checker: ok\n$")

# 5. The same programs built with pkg-config alone: the compiler, the .pc
#    file of the prefix (found through PKG_CONFIG_PATH only) and its flags.
if(PKG_CONFIG)
  list(GET pc_files 0 pc_file)
  get_filename_component(pc_dir ${pc_file} DIRECTORY)
  set(pc_env ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${pc_dir})
  run("pkg-config --cflags --libs uvmsim" ${pc_env} ${PKG_CONFIG} --cflags --libs uvmsim)
  string(STRIP "${run_out}" pc_flags)
  separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
  set(pc_build ${WORK_DIR}/pkgconfig-build)
  file(MAKE_DIRECTORY ${pc_build})
  set(werror "")
  if(WERROR)
    set(werror -Werror)
  endif()
  foreach(prog cow_demo:${SOURCE_DIR}/tests/install/consumer/main.cpp
               inspect:${SOURCE_DIR}/tests/install/consumer/inspect.cpp
               readme_example:${SOURCE_DIR}/examples/readme_example.cpp
               policy_demo:${installed_policy})
    string(REPLACE ":" ";" parts "${prog}")
    list(GET parts 0 name)
    list(GET parts 1 src)
    # Sources first, then the libraries (static archives are resolved in order).
    run("pkg-config build of ${name}" ${CXX_COMPILER} -Wall -Wextra ${werror} ${src} -o ${pc_build}/${name} ${pc_flags})
  endforeach()
  run("pkg-config cow_demo" ${pc_build}/cow_demo)
  expect_match("pkg-config cow_demo" "${run_out}" "checker: ok\n")
  run("pkg-config inspect" ${pc_build}/inspect)
  expect_match("pkg-config inspect" "${run_out}" "^entries 1, anons 2, dumped anons 2, process faults 2\n$")
  run("pkg-config readme_example" ${pc_build}/readme_example)
  expect_match("pkg-config readme_example" "${run_out}" "^parent sees hello; COW faults: 1; checker: ok\n$")
  message(STATUS "install_package: pkg-config consumer ok (${pc_flags})")
else()
  message(FATAL_ERROR "install: pkg-config not found (scripts/deps.sh installs it)")
endif()

# 6. The installed command runs an example to its expected output.
if(HAVE_CLI)
  run("uvmsim --version" ${prefix}/bin/uvmsim --version)
  expect_match("uvmsim --version" "${run_out}" "^uvmsim [0-9]+\\.[0-9]+\\.[0-9]+\n$")
  file(GLOB_RECURSE scen ${prefix}/*/fork_cow.scen)
  if(NOT scen)
    message(FATAL_ERROR "install: examples/fork_cow.scen not installed")
  endif()
  run("uvmsim run fork_cow.scen" ${prefix}/bin/uvmsim run --backend soft ${scen})
  file(READ ${SOURCE_DIR}/examples/fork_cow.expected expected)
  if(NOT run_out STREQUAL expected)
    message(FATAL_ERROR "installed uvmsim: fork_cow.scen output differs:\n${run_out}")
  endif()
endif()

message(STATUS "install_package: ok")
