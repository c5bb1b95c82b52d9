# `cmake --build --preset dev --target web` (or `make web`): the browser pages of issue 14,
# web/dist, from npm (npm ci installs web/package-lock.json's exact versions from the npm
# registry, npm run build copies the pages and uPlot into dist/). Not part of ALL: it needs the
# registry on a fresh checkout, and callcastd runs without the pages (it says so at start).
find_program(CALLCAST_NPM npm)
set(CALLCAST_WEB_DIR ${PROJECT_SOURCE_DIR}/web)
if(CALLCAST_NPM)
  add_custom_target(web
    COMMAND ${CALLCAST_NPM} ci --no-audit --no-fund
    COMMAND ${CALLCAST_NPM} run build
    WORKING_DIRECTORY ${CALLCAST_WEB_DIR}
    COMMENT "web: npm ci && npm run build in ${CALLCAST_WEB_DIR}"
    USES_TERMINAL VERBATIM)
else()
  add_custom_target(web
    COMMAND ${CMAKE_COMMAND} -E echo "web: npm not found (apt-get install npm), web/dist not built"
    COMMAND ${CMAKE_COMMAND} -E false
    VERBATIM)
endif()
