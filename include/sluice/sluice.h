// Sluice: heavy, bursty concurrent writes into SQLite, reads that never wait, nothing lost.
// Include this one header for the whole public API.
#pragma once

#include "sluice/backup.h"
#include "sluice/checkpoint.h"
#include "sluice/config.h"
#include "sluice/connection.h"
#include "sluice/database.h"
#include "sluice/error.h"
#include "sluice/processes.h"
#include "sluice/statement.h"
#include "sluice/stats.h"
#include "sluice/transaction.h"
#include "sluice/value.h"
