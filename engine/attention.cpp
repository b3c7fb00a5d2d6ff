#include "engine/attention.h"

#include <cmath>
#include <vector>

#define EIGEN_DONT_PARALLELIZE
#include <Eigen/Core>

namespace vit {

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstView = Eigen::Map<const RowMatrix, 0, Eigen::OuterStride<>>;
using View = Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>>;

void softmax_rows(RowMatrix& scores) {
  for (Eigen::Index i = 0; i < scores.rows(); ++i) {
    float* row = scores.row(i).data();
    const Eigen::Index n = scores.cols();
    float max = row[0];
    for (Eigen::Index j = 1; j < n; ++j) max = std::max(max, row[j]);
    float sum = 0.0f;
    for (Eigen::Index j = 0; j < n; ++j) {
      row[j] = std::exp(row[j] - max);
      sum += row[j];
    }
    const float inv = 1.0f / sum;
    for (Eigen::Index j = 0; j < n; ++j) row[j] *= inv;
  }
}

}  // namespace

void multi_head_attention(const AttentionShape& s, HeadView q, HeadView k, HeadView v, float* out,
                          int64_t out_batch_stride, int64_t out_row_stride) {
  const float scale = 1.0f / std::sqrt(static_cast<float>(s.head_dim));
  const int items = s.batch * s.heads;
#pragma omp parallel
  {
    RowMatrix scaled_q(s.query_tokens, s.head_dim);
    RowMatrix scores(s.query_tokens, s.key_tokens);
#pragma omp for schedule(static)
    for (int item = 0; item < items; ++item) {
      const int b = item / s.heads, h = item % s.heads;
      const int64_t head_offset = static_cast<int64_t>(h) * s.head_dim;
      ConstView Q(q.base + b * q.batch_stride + head_offset, s.query_tokens, s.head_dim,
                  Eigen::OuterStride<>(q.row_stride));
      ConstView K(k.base + b * k.batch_stride + head_offset, s.key_tokens, s.head_dim,
                  Eigen::OuterStride<>(k.row_stride));
      ConstView V(v.base + b * v.batch_stride + head_offset, s.key_tokens, s.head_dim,
                  Eigen::OuterStride<>(v.row_stride));
      View O(out + b * out_batch_stride + head_offset, s.query_tokens, s.head_dim,
             Eigen::OuterStride<>(out_row_stride));
      scaled_q = Q * scale;  // timm scales q before the product
      scores.noalias() = scaled_q * K.transpose();
      softmax_rows(scores);
      O.noalias() = scores * V;
    }
  }
}

}  // namespace vit
