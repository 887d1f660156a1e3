#!/bin/sh
# Starts or stops the Cortex-M33 firmware of this project through remoteproc, the way ST's
# fw_cortex_m33.sh does on an STM32MP2 board (OpenSTLinux): copy the signed firmware shipped in
# PROJECT/lib/firmware to the firmware folder, write its name to `firmware`,
# `echo start > state`; `echo stop > state` to stop. Run it from the project folder.
#
# It runs unmodified on a board and against `rproctee up --mount DIR --firmware-path FW`:
#   SYSFS=DIR/sys FW_DIR=FW ./fw_cortex_m33.sh start
# Environment: SYSFS (default /sys), FW_DIR (default /lib/firmware), RPROC (default
# remoteproc0).

RPROC_PATH="${SYSFS:-/sys}/class/remoteproc/${RPROC:-remoteproc0}"
fmw_dir="${FW_DIR:-/lib/firmware}"
project_name=$(basename "$(pwd)")
fmw_name="${project_name}_CM33_NonSecure_sign.bin"

case "$1" in
	start) ;;
	stop) ;;
	*) echo "$(basename "$0"): usage: start | stop"
	   exit 1
	   ;;
esac

if [ ! -d "$RPROC_PATH" ]; then
	echo "Error: $RPROC_PATH not found"
	exit 1
fi

rproc_state=$(tr -d '\0' < "$RPROC_PATH/state")

#################
# Start example #
#################
if [ "$1" = "start" ]; then
	if [ ! -e "lib/firmware/${fmw_name}" ]; then
		echo "Error: signed firmware lib/firmware/${fmw_name} cannot be found"
		exit 1
	fi
	echo "$(basename "$0"): fmw_name=${fmw_name}"

	if [ "$rproc_state" = "running" ]; then
		echo "Stopping running fw ..."
		echo stop > "$RPROC_PATH/state"
	fi

	# Copy the firmware to the firmware folder (created if needed)
	if [ ! -d "$fmw_dir" ]; then
		echo "Create $fmw_dir directory"
		mkdir -p "$fmw_dir" || exit 1
	fi
	cp "lib/firmware/${fmw_name}" "$fmw_dir/" || exit 1

	# Load and start the firmware
	echo -n "${fmw_name}" > "$RPROC_PATH/firmware" || exit 1
	echo start > "$RPROC_PATH/state" || exit 1
	cat "$RPROC_PATH/state"
fi

################
# Stop example #
################
if [ "$1" = "stop" ]; then
	if [ "$rproc_state" = "offline" ]; then
		echo "Nothing to do, no M33 fw is running"
	else
		echo stop > "$RPROC_PATH/state" || exit 1
	fi
fi
