# Cross build for arm64 with Debian's gcc-aarch64-linux-gnu.
# The arm64 libraries (libfdt, zlib) come from Debian arm64 packages unpacked
# by scripts/setup into TINYVMM_ARM64_SYSROOT (default: .cache/arm64-sysroot).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)

if(NOT DEFINED TINYVMM_ARM64_SYSROOT)
  set(TINYVMM_ARM64_SYSROOT "${CMAKE_CURRENT_LIST_DIR}/../.cache/arm64-sysroot")
endif()
get_filename_component(TINYVMM_ARM64_SYSROOT "${TINYVMM_ARM64_SYSROOT}" ABSOLUTE)

set(CMAKE_FIND_ROOT_PATH "${TINYVMM_ARM64_SYSROOT}" /usr/aarch64-linux-gnu)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
