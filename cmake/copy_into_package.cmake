# Copies FILE into DEST, through a temporary name and a rename, so that a process which has the old library
# loaded (a long training run) keeps its mapped copy instead of seeing the file rewritten under it.
#   cmake -DDEST=dir -DFILE=path -P copy_into_package.cmake
get_filename_component(name "${FILE}" NAME)
file(COPY_FILE "${FILE}" "${DEST}/.${name}.partial")
file(RENAME "${DEST}/.${name}.partial" "${DEST}/${name}")
