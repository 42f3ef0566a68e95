# SDK tests (included by tests/CMakeLists.txt): the C++ header over the demo model (built with
# -Wall -Wextra -Werror, once plain and once under AddressSanitizer + UBSan), the C and C++ examples,
# and the Python package installed into fresh virtual environments (label "python").

include(CheckLanguage)
check_language(CXX)
if(CMAKE_CXX_COMPILER)
  enable_language(CXX)
  set(CORT_SDK_CXX_FLAGS -Wall -Wextra -Werror -Wshadow)
  set(CORT_SDK_SANITIZE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)

  add_executable(test_cpp_sdk ${CMAKE_CURRENT_SOURCE_DIR}/cpp/test_cpp_sdk.cpp)
  add_executable(test_cpp_sdk_asan ${CMAKE_CURRENT_SOURCE_DIR}/cpp/test_cpp_sdk.cpp)
  add_executable(classify_cpp ${PROJECT_SOURCE_DIR}/examples/cpp/classify.cpp)
  add_executable(classify_cpp_asan ${PROJECT_SOURCE_DIR}/examples/cpp/classify.cpp)
  foreach(t test_cpp_sdk test_cpp_sdk_asan classify_cpp classify_cpp_asan)
    set_target_properties(${t} PROPERTIES CXX_STANDARD 17 CXX_STANDARD_REQUIRED ON CXX_EXTENSIONS OFF)
    target_compile_options(${t} PRIVATE ${CORT_SDK_CXX_FLAGS})
    # the public API only: cort_static carries include/ and nothing internal
    target_link_libraries(${t} PRIVATE cort_static)
  endforeach()
  foreach(t test_cpp_sdk_asan classify_cpp_asan)
    target_compile_options(${t} PRIVATE ${CORT_SDK_SANITIZE} -O1 -g)
    target_link_options(${t} PRIVATE -fsanitize=address,undefined)
  endforeach()

  set(CORT_SDK_NODE_TESTS /usr/share/libonnx-testdata/data/node)
  add_test(NAME cpp_sdk COMMAND test_cpp_sdk ${PROJECT_SOURCE_DIR} ${CORT_SDK_NODE_TESTS})
  add_test(NAME cpp_sdk_asan COMMAND test_cpp_sdk_asan ${PROJECT_SOURCE_DIR} ${CORT_SDK_NODE_TESTS})
  set_tests_properties(cpp_sdk cpp_sdk_asan PROPERTIES LABELS "unit;sdk" WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}
    ENVIRONMENT "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1;ASAN_OPTIONS=detect_leaks=1")

  add_test(NAME example_cpp_asan COMMAND classify_cpp_asan ${PROJECT_SOURCE_DIR}/demo/shapes_cnn.onnx
    ${PROJECT_SOURCE_DIR}/demo/samples/triangle.npy ${PROJECT_SOURCE_DIR}/demo/labels.txt)
  set_tests_properties(example_cpp_asan PROPERTIES LABELS "unit;sdk" PASS_REGULAR_EXPRESSION "1\\. +triangle")
endif()

add_executable(classify_c ${PROJECT_SOURCE_DIR}/examples/c/classify.c)
target_compile_options(classify_c PRIVATE ${CORT_WARNINGS})
target_link_libraries(classify_c PRIVATE cort_static)
add_test(NAME example_c COMMAND classify_c ${PROJECT_SOURCE_DIR}/demo/shapes_cnn.onnx
  ${PROJECT_SOURCE_DIR}/demo/samples/circle.npy ${PROJECT_SOURCE_DIR}/demo/labels.txt)
set_tests_properties(example_c PROPERTIES LABELS "unit;sdk" PASS_REGULAR_EXPRESSION "1\\. +circle")

# pip install ./python and a wheel, each in a fresh venv, then pytest (needs python3 with venv and PyPI access)
find_program(CORT_SDK_PYTHON NAMES python3 python)
if(CORT_SDK_PYTHON)
  add_test(NAME python_sdk COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/python/run_venv_tests.sh ${PROJECT_SOURCE_DIR}
    ${CMAKE_CURRENT_BINARY_DIR}/python_sdk)
  set_tests_properties(python_sdk PROPERTIES LABELS python TIMEOUT 1200 RUN_SERIAL ON
    ENVIRONMENT "PYTHON=${CORT_SDK_PYTHON}")
endif()
