# Install rules and the exported CMake package.
#
# Installs the library (libuvmsim, static by default), the public headers
# (include/uvmsim/*.h), the model's internal headers that the public API
# reaches (Machine::uvm() returns the model's `struct Uvm`,
# Process::vmspace() its `struct VmSpace`: include/uvmsim/internal/core and
# .../pagers, on the include path as "core/uvm.h" as inside the tree), the
# `uvmsim` command, the examples, the docs with their images, a CMake
# package so that code outside this tree writes
#
#   find_package(uvmsim 0.1 REQUIRED)
#   target_link_libraries(app PRIVATE uvmsim::uvmsim)
#
# and a pkg-config file (uvmsim.pc) for everyone else:
#
#   c++ app.cpp $(pkg-config --cflags --libs uvmsim)
#
# The kvm backend's objects are compiled into libuvmsim itself
# (src/kvm/CMakeLists.txt), so the package is one archive plus its external
# dependencies (Abseil, fmt), which uvmsimConfig.cmake finds again.
#
# Included at the end of the top-level CMakeLists.txt, after every target
# exists. tests/install checks the result by building a consumer against it.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(UVMSIM_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/uvmsim CACHE STRING
    "Where uvmsimConfig.cmake is installed (relative to the prefix)")

# The public headers use C++20 (designated initializers, std::span): a
# consumer gets that from the target, whatever its own default.
target_compile_features(uvmsim PUBLIC cxx_std_20)

# A sanitized libuvmsim needs the sanitizer runtimes at link time; inside the
# tree add_link_options does that, an installed copy says so itself.
if(UVMSIM_SANITIZE)
  target_link_options(uvmsim INTERFACE $<INSTALL_INTERFACE:-fsanitize=address,undefined>)
endif()

# The package must be self-contained: every library uvmsim links has to be
# an imported target the config can find again. Collect the packages to
# find_dependency() from the namespaces of what uvmsim links, and refuse
# in-tree libraries (they would have to be installed and exported too; fold
# them into libuvmsim as objects instead, as src/kvm does).
set(_uvmsim_deps "")
set(_uvmsim_links "")
foreach(_prop LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
  get_target_property(_l uvmsim ${_prop})
  if(_l)
    list(APPEND _uvmsim_links ${_l})
  endif()
endforeach()
foreach(_lib IN LISTS _uvmsim_links)
  # Drop the generator-expression wrappers CMake itself adds ($<LINK_ONLY:x>).
  string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" _lib "${_lib}")
  if(_lib MATCHES "^absl::")
    list(APPEND _uvmsim_deps absl)
  elseif(_lib MATCHES "^fmt::")
    list(APPEND _uvmsim_deps fmt)
  elseif(_lib MATCHES "^Threads::")
    list(APPEND _uvmsim_deps Threads)
  elseif(TARGET "${_lib}")
    get_target_property(_imported "${_lib}" IMPORTED)
    if(NOT _imported)
      message(FATAL_ERROR
        "cmake/install.cmake: uvmsim links the in-tree target '${_lib}', which the installed "
        "package would not contain. Add its objects to uvmsim instead "
        "(target_sources(uvmsim PRIVATE $<TARGET_OBJECTS:${_lib}>)) or install and export it.")
    endif()
    message(WARNING "cmake/install.cmake: uvmsim links '${_lib}'; uvmsimConfig.cmake does not "
                    "know which package provides it")
  elseif(_lib MATCHES "^-|^[A-Za-z0-9_]+$")
    # a flag or a plain system library (rt, dl, pthread): nothing to find
  else()
    message(WARNING "cmake/install.cmake: uvmsim links '${_lib}'; check that the installed "
                    "package can resolve it")
  endif()
endforeach()
list(REMOVE_DUPLICATES _uvmsim_deps)
set(UVMSIM_FIND_DEPENDENCIES "")
foreach(_dep IN LISTS _uvmsim_deps)
  string(APPEND UVMSIM_FIND_DEPENDENCIES "find_dependency(${_dep})\n")
endforeach()

# The library and its headers.
install(TARGETS uvmsim
  EXPORT uvmsimTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
file(GLOB UVMSIM_PUBLIC_HEADERS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/include/uvmsim/*.h)
install(FILES ${UVMSIM_PUBLIC_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/uvmsim)
# The internal headers the public API's return types need (see above). They
# are for extensions that read the model (tests, checkers, dumps of one's
# own); they change with the model and carry no compatibility promise.
foreach(_dir core pagers)
  file(GLOB _hdrs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${_dir}/*.h)
  # The invariant checker's internals format with fmt, a private dependency.
  list(FILTER _hdrs EXCLUDE REGEX "/core/check\\.h$")
  install(FILES ${_hdrs} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/uvmsim/internal/${_dir})
endforeach()
target_include_directories(uvmsim INTERFACE $<INSTALL_INTERFACE:include/uvmsim/internal>)

# The command.
if(TARGET uvmsim_cli)
  install(TARGETS uvmsim_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

# The example scenarios and programs, and the docs, to start from.
file(GLOB UVMSIM_EXAMPLE_FILES CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/examples/*.scen
  ${PROJECT_SOURCE_DIR}/examples/*.expected
  ${PROJECT_SOURCE_DIR}/examples/*.cpp)
install(FILES ${UVMSIM_EXAMPLE_FILES} DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
file(GLOB UVMSIM_DOC_FILES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${UVMSIM_DOC_FILES} DESTINATION ${CMAKE_INSTALL_DOCDIR})
file(GLOB UVMSIM_DOC_IMAGES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/img/*.png ${PROJECT_SOURCE_DIR}/docs/img/*.svg)
install(FILES ${UVMSIM_DOC_IMAGES} DESTINATION ${CMAKE_INSTALL_DOCDIR}/img)
file(GLOB UVMSIM_DOC_EXAMPLE_FILES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/examples/*)
install(FILES ${UVMSIM_DOC_EXAMPLE_FILES} DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# pkg-config. Requires: the Abseil and fmt modules libuvmsim links (a
# static archive needs its dependencies at the consumer's link), from the
# same link list the CMake package is made from.
set(UVMSIM_PC_REQUIRES "")
set(UVMSIM_PC_LIBS "")
foreach(_lib IN LISTS _uvmsim_links)
  string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" _lib "${_lib}")
  if(_lib MATCHES "^absl::(.+)$")
    list(APPEND UVMSIM_PC_REQUIRES "absl_${CMAKE_MATCH_1}")
  elseif(_lib MATCHES "^fmt::")
    list(APPEND UVMSIM_PC_REQUIRES "fmt")
  elseif(_lib MATCHES "^Threads::")
    list(APPEND UVMSIM_PC_LIBS "-pthread")
  elseif(_lib MATCHES "^-")
    list(APPEND UVMSIM_PC_LIBS "${_lib}")
  elseif(_lib MATCHES "^[A-Za-z0-9_]+$" AND NOT TARGET "${_lib}")
    list(APPEND UVMSIM_PC_LIBS "-l${_lib}")
  endif()
endforeach()
list(REMOVE_DUPLICATES UVMSIM_PC_REQUIRES)
list(JOIN UVMSIM_PC_REQUIRES " " UVMSIM_PC_REQUIRES)
list(JOIN UVMSIM_PC_LIBS " " UVMSIM_PC_LIBS)
set(UVMSIM_PC_CFLAGS "")
if(UVMSIM_SANITIZE)
  set(UVMSIM_PC_LIBS "${UVMSIM_PC_LIBS} -fsanitize=address,undefined")
endif()
set(UVMSIM_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH UVMSIM_PC_TO_PREFIX /prefix/${UVMSIM_PC_DIR} /prefix)
configure_file(${CMAKE_CURRENT_LIST_DIR}/uvmsim.pc.in ${CMAKE_CURRENT_BINARY_DIR}/uvmsim.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/uvmsim.pc DESTINATION ${UVMSIM_PC_DIR})

# The package: targets, config, version.
install(EXPORT uvmsimTargets
  NAMESPACE uvmsim::
  FILE uvmsimTargets.cmake
  DESTINATION ${UVMSIM_INSTALL_CMAKEDIR})
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/uvmsimConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/uvmsimConfig.cmake
  INSTALL_DESTINATION ${UVMSIM_INSTALL_CMAKEDIR})
# 0.x: a minor version may break the API.
write_basic_package_version_file(
  ${CMAKE_CURRENT_BINARY_DIR}/uvmsimConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/uvmsimConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/uvmsimConfigVersion.cmake
  DESTINATION ${UVMSIM_INSTALL_CMAKEDIR})

unset(_uvmsim_deps)
unset(_uvmsim_links)
unset(_lib)
unset(_l)
unset(_prop)
unset(_imported)
unset(_dep)
