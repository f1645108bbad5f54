// A worker script that throws at its top level.
throw new TypeError("thrown at the top level of the script");
