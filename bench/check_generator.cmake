# CTest script: the generator is deterministic and the parse floor accepts what it writes.
# Usage: cmake -DGEN=<vigil_gen_audit> -DFLOOR=<vigil_parse_floor> -DWORK=<dir> -P check_generator.cmake
cmake_minimum_required(VERSION 3.25)
set(events 3000)
file(MAKE_DIRECTORY ${WORK})

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}${err}")
  endif()
  set(run_out "${out}" PARENT_SCOPE)
endfunction()

# Same seed, same bytes, in every format.
foreach(format jsonl eventlist cloudwatch-export)
  run(${GEN} --events ${events} --seed 7 --format ${format} -o ${WORK}/a.${format})
  run(${GEN} --events ${events} --seed 7 --format ${format} -o ${WORK}/b.${format})
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${WORK}/a.${format} ${WORK}/b.${format}
                  RESULT_VARIABLE differ)
  if(differ)
    message(FATAL_ERROR "two runs with seed 7 wrote different ${format} output")
  endif()
endforeach()

# Same bytes on every machine and compiler: the output of seed 7 is pinned. If you changed the
# generator on purpose, put the new hash here (cmake -E sha256sum of a.jsonl in the test's WORK
# directory) and say in the commit that generated files changed.
set(expected_sha256 ce4a1cc81c9a47dc4c1d0768c942d55b3abaf060573c21667d82572560c187ec)
file(SHA256 ${WORK}/a.jsonl actual_sha256)
if(NOT actual_sha256 STREQUAL expected_sha256)
  message(FATAL_ERROR "generator output for --events ${events} --seed 7 changed: sha256 "
                      "${actual_sha256}, expected ${expected_sha256} (see check_generator.cmake)")
endif()

# A different seed gives different traffic.
run(${GEN} --events ${events} --seed 8 -o ${WORK}/c.jsonl)
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${WORK}/a.jsonl ${WORK}/c.jsonl
                RESULT_VARIABLE differ)
if(NOT differ)
  message(FATAL_ERROR "seeds 7 and 8 wrote the same output")
endif()

# The floor parses every event (it checks its variants agree) and counts all of them.
run(${FLOOR} ${WORK}/a.jsonl --repeat 1)
string(REGEX MATCHALL "variant=[a-z_]+ events=[0-9]+" counts "${run_out}")
list(LENGTH counts variants)
if(NOT variants EQUAL 4)
  message(FATAL_ERROR "expected 4 floor variants, got:\n${run_out}")
endif()
foreach(c IN LISTS counts)
  if(NOT c MATCHES "events=${events}$")
    message(FATAL_ERROR "floor counted a different number of events than ${events}: ${c}")
  endif()
endforeach()

# And rejects a file with a broken event instead of timing it.
file(READ ${WORK}/a.jsonl text LIMIT 100000)
file(WRITE ${WORK}/broken.jsonl "${text}{\"kind\":\"Event\",\n")
execute_process(COMMAND ${FLOOR} ${WORK}/broken.jsonl --repeat 1 RESULT_VARIABLE rc
                OUTPUT_QUIET ERROR_QUIET)
if(rc EQUAL 0)
  message(FATAL_ERROR "the floor accepted a file with a malformed event")
endif()
