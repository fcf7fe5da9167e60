# cmake -P script (test docs_policy_figures): the replacement-policy figures
# in docs/user-guide.md are what examples/policy_demo.cpp prints now
# (scripts/policy_figures.sh regenerates them).
#   DEMO   the built policy_demo     GUIDE  docs/user-guide.md
execute_process(COMMAND ${DEMO} RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "policy_demo failed (${rc})")
endif()
file(READ ${GUIDE} guide)
string(FIND "${guide}" "<!-- policy-demo:begin -->\n```\n" b)
string(FIND "${guide}" "```\n<!-- policy-demo:end -->" e)
if(b EQUAL -1 OR e EQUAL -1)
  message(FATAL_ERROR "docs/user-guide.md: policy-demo markers missing")
endif()
math(EXPR b "${b} + 31")
math(EXPR len "${e} - ${b}")
string(SUBSTRING "${guide}" ${b} ${len} shown)
if(NOT shown STREQUAL out)
  message(FATAL_ERROR "docs/user-guide.md shows\n${shown}\nbut policy_demo prints\n${out}\n"
                      "run scripts/policy_figures.sh")
endif()
