from . import account_move_approve_deviation
