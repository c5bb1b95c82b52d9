# Layers are enforced by the build (STYLE.md "Layout shows the architecture"; issue 11 item 8):
# a library's headers are visible only to the targets that link it. Each library gets an include
# root of its own under the build tree holding links to its own headers only
# (<build>/layers/callcast_media/media/group_media.hpp -> src/media/group_media.hpp), so
# `#include "core/result.hpp"` compiles only in a target that links callcast_core, directly or
# through a PUBLIC dependency.
#
# callcast_layer(<target> [HEADERS <file>...])
#   By default the library's headers are those of its folder that have a source of the same
#   name in the library, plus the folder's header-only files. HEADERS names them instead (for a
#   folder that holds several libraries).
function(callcast_layer target)
  cmake_parse_arguments(L "" "" "HEADERS" ${ARGN})
  get_target_property(dir ${target} SOURCE_DIR)
  file(RELATIVE_PATH folder ${PROJECT_SOURCE_DIR}/src ${dir})
  if(L_HEADERS)
    set(headers ${L_HEADERS})
  else()
    get_target_property(sources ${target} SOURCES)
    file(GLOB candidates CONFIGURE_DEPENDS RELATIVE ${dir} ${dir}/*.hpp)
    set(headers)
    foreach(header IN LISTS candidates)
      string(REGEX REPLACE "\\.hpp$" ".cpp" source ${header})
      if(NOT EXISTS ${dir}/${source} OR source IN_LIST sources)
        list(APPEND headers ${header})
      endif()
    endforeach()
  endif()
  set(root ${CMAKE_BINARY_DIR}/layers/${target})
  file(REMOVE_RECURSE ${root})
  file(MAKE_DIRECTORY ${root}/${folder})
  foreach(header IN LISTS headers)
    if(NOT EXISTS ${dir}/${header})
      message(FATAL_ERROR "callcast_layer(${target}): no header ${dir}/${header}")
    endif()
    file(CREATE_LINK ${dir}/${header} ${root}/${folder}/${header} SYMBOLIC)
  endforeach()
  target_include_directories(${target} PUBLIC ${root})
endfunction()
