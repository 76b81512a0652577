#include "learners/recurrent.hpp"

namespace lantern::learners::detail {
namespace {

using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// GRUCell's gates, in its order (r, z, n): r = s(Wir x + bir + Whr h + bhr), z = s(Wiz x + biz
// + Whz h + bhz), n = tanh(Win x + bin + r * (Whn h + bhn)), h' = (1 - z) n + z h.
struct gru_sequence_fn : public torch::autograd::Function<gru_sequence_fn> {
  static Tensor forward(AutogradContext* ctx, const Tensor& x_in, const Tensor& h0, const Tensor& keep_in,
                        const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh) {
    const int64_t S = x_in.size(0), n = x_in.size(1), F = x_in.size(2), H = h0.size(1);
    auto x = x_in.contiguous();
    auto keep = keep_in.contiguous();
    auto gi = torch::addmm(b_ih, x.view({S * n, F}), w_ih.t()).view({S, n, 3 * H});
    const auto opt = x_in.options();
    auto gh = torch::empty({S, n, 3 * H}, opt);
    auto rz = torch::empty({S, n, 2 * H}, opt);
    auto nn = torch::empty({S, n, H}, opt);
    auto hin = torch::empty({S, n, H}, opt);  // the state each step read
    auto out = torch::empty({S, n, H}, opt);
    auto w_hh_t = w_hh.t();
    auto tmp = torch::empty({n, H}, opt);
    for (int64_t t = 0; t < S; ++t) {
      auto h_in = hin[t];
      if (t == 0)
        h_in.copy_(h0);
      else
        torch::mul_out(h_in, out[t - 1], keep[t - 1]);
      auto gh_t = gh[t];
      torch::addmm_out(gh_t, b_hh, h_in, w_hh_t);
      auto gi_t = gi[t];
      auto rz_t = rz[t];
      torch::add_out(rz_t, gi_t.narrow(1, 0, 2 * H), gh_t.narrow(1, 0, 2 * H));
      rz_t.sigmoid_();
      auto n_t = nn[t];
      torch::mul_out(n_t, rz_t.narrow(1, 0, H), gh_t.narrow(1, 2 * H, H));
      n_t.add_(gi_t.narrow(1, 2 * H, H)).tanh_();
      // h' = n + z (h - n)
      torch::sub_out(tmp, h_in, n_t);
      auto o = out[t];
      torch::addcmul_out(o, n_t, rz_t.narrow(1, H, H), tmp);
    }
    ctx->save_for_backward({x, keep, w_ih, w_hh, gh, rz, nn, hin});
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &keep = saved[1], &w_ih = saved[2], &w_hh = saved[3], &gh = saved[4], &rz = saved[5],
               &nn = saved[6], &hin = saved[7];
    const int64_t S = x.size(0), n = x.size(1), F = x.size(2), H = hin.size(2);
    const auto opt = x.options();
    auto g = grads[0].defined() ? grads[0].contiguous() : torch::zeros({S, n, H}, opt);
    auto dgi = torch::empty({S, n, 3 * H}, opt);  // d(loss)/d(input gates); the hidden gates' differ in n
    auto dgh = torch::empty({S, n, 3 * H}, opt);
    auto carry = torch::zeros({n, H}, opt);       // gradient reaching the state step t + 1 read
    auto dh = torch::empty({n, H}, opt), dprev = torch::empty({n, H}, opt), tmp = torch::empty({n, H}, opt);
    Tensor dh0;
    for (int64_t t = S - 1; t >= 0; --t) {
      torch::add_out(dh, g[t], carry);
      auto r = rz[t].narrow(1, 0, H), z = rz[t].narrow(1, H, H), nt = nn[t], hp = hin[t];
      auto ghn = gh[t].narrow(1, 2 * H, H);
      auto dgi_t = dgi[t], dgh_t = dgh[t];
      auto dar = dgi_t.narrow(1, 0, H), daz = dgi_t.narrow(1, H, H), dan = dgi_t.narrow(1, 2 * H, H);
      // d n = dh (1 - z); d a_n = d n (1 - n^2)
      torch::mul_out(dan, nt, nt);
      dan.neg_().add_(1);
      torch::mul_out(tmp, dh, z);
      torch::sub_out(tmp, dh, tmp);  // dh (1 - z)
      dan.mul_(tmp);
      // d z = dh (h - n); d a_z = d z z (1 - z)
      torch::sub_out(daz, hp, nt);
      daz.mul_(dh);
      torch::mul_out(tmp, z, z);
      torch::sub_out(tmp, z, tmp);  // z (1 - z)
      daz.mul_(tmp);
      // d r = d a_n (W_hn h + b_hn); d a_r = d r r (1 - r)
      torch::mul_out(dar, dan, ghn);
      torch::mul_out(tmp, r, r);
      torch::sub_out(tmp, r, tmp);
      dar.mul_(tmp);
      dgh_t.narrow(1, 0, 2 * H).copy_(dgi_t.narrow(1, 0, 2 * H));
      auto dghn = dgh_t.narrow(1, 2 * H, H);
      torch::mul_out(dghn, dan, r);
      // The state this step read: directly through z, and through the hidden gates.
      torch::mul_out(dprev, dh, z);
      dprev.addmm_(dgh_t, w_hh);
      if (t > 0)
        torch::mul_out(carry, dprev, keep[t - 1]);
      else
        dh0 = dprev.clone();
    }
    auto dgi2 = dgi.view({S * n, 3 * H}), dgh2 = dgh.view({S * n, 3 * H});
    auto dx = torch::mm(dgi2, w_ih).view({S, n, F});
    auto dw_ih = torch::mm(dgi2.t(), x.view({S * n, F}));
    auto dw_hh = torch::mm(dgh2.t(), hin.view({S * n, H}));
    return {dx, dh0, Tensor(), dw_ih, dw_hh, dgi2.sum(0), dgh2.sum(0)};
  }
};

}  // namespace

torch::Tensor gru_sequence(const torch::Tensor& x, const torch::Tensor& h0, const torch::Tensor& keep,
                           torch::nn::GRUCell& cell) {
  return gru_sequence_fn::apply(x, h0, keep, cell->weight_ih, cell->weight_hh, cell->bias_ih, cell->bias_hh);
}

}  // namespace lantern::learners::detail
