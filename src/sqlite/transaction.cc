#include "sluice/transaction.h"

#include <string>

namespace sluice {

Query Transaction::prepare(std::string_view sql) {
  Query q = conn_.prepare_query(sql);
  if (q.statement().is_transaction_control()) {
    throw Error(ErrorCode::InvalidArgument,
                "a write job must not control the transaction (Sluice runs BEGIN/COMMIT and a "
                "SAVEPOINT per job): " +
                    std::string(sql));
  }
  return q;
}

int Transaction::exec_values(std::string_view sql, const std::vector<Value>& params) {
  Query q = prepare(sql);
  q.bind_values(params);
  q.run();
  return conn_.changes();
}

}  // namespace sluice
