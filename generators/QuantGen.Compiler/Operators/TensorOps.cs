using System;

namespace QuantGen.Operators
{
    /// <summary>Index arithmetic shared by the integer and float semantics of several operators.</summary>
    internal static class TensorOps
    {
        /// <summary>Length of the first input's last axis (1 for a scalar).</summary>
        public static int LastAxis(Graph.GraphNode node)
        {
            int[] s = node.Inputs[0].Shape;
            return s.Length > 0 ? s[s.Length - 1] : 1;
        }

        /// <summary>x - zeroPoint, element by element.</summary>
        public static int[] Shift(int[] x, long zeroPoint)
        {
            var r = new int[x.Length];
            for (int i = 0; i < x.Length; i++)
            {
                r[i] = (int)(x[i] - zeroPoint);
            }

            return r;
        }

        /// <summary>A row-major shape seen as [outer, shape[axis], inner].</summary>
        public static (int Outer, int Count, int Inner) SplitAt(int[] shape, int axis)
        {
            int outer = 1, inner = 1;
            for (int i = 0; i < axis; i++)
            {
                outer *= shape[i];
            }

            for (int i = axis + 1; i < shape.Length; i++)
            {
                inner *= shape[i];
            }

            return (outer, shape[axis], inner);
        }

        /// <summary>y[j] = x[i] where output axis a is input axis perm[a] (row-major, ONNX Transpose semantics).</summary>
        public static void Transpose<T>(T[] x, int[] shape, int[] perm, T[] y)
        {
            int rank = shape.Length;
            var inStrides = new int[rank];
            int s = 1;
            for (int a = rank - 1; a >= 0; a--)
            {
                inStrides[a] = s;
                s *= shape[a];
            }

            var outShape = new int[rank];
            for (int a = 0; a < rank; a++)
            {
                outShape[a] = shape[perm[a]];
            }

            var index = new int[rank];
            for (int j = 0; j < y.Length; j++)
            {
                int src = 0;
                for (int a = 0; a < rank; a++)
                {
                    src += index[a] * inStrides[perm[a]];
                }

                y[j] = x[src];
                for (int a = rank - 1; a >= 0; a--)
                {
                    if (++index[a] < outShape[a])
                    {
                        break;
                    }

                    index[a] = 0;
                }
            }
        }
    

        /// <summary>
        /// 2-D max pooling over NCHW: each output is the maximum of the window's positions inside the input (padding
        /// never wins; pads are smaller than the kernel, so every window holds at least one input position).
        /// </summary>
        public static void MaxPool2d<T>(T[] x, int[] shape, int[] kernel, int[] strides, int[] pads, T[] y, int[] outShape)
            where T : IComparable<T>
        {
            for (int nc = 0; nc < shape[0] * shape[1]; nc++)
            {
                for (int oh = 0; oh < outShape[2]; oh++)
                {
                    for (int ow = 0; ow < outShape[3]; ow++)
                    {
                        bool any = false;
                        T best = default!;
                        for (int i = 0; i < kernel[0]; i++)
                        {
                            int ih = oh * strides[0] - pads[0] + i;
                            for (int j = 0; j < kernel[1] && ih >= 0 && ih < shape[2]; j++)
                            {
                                int iw = ow * strides[1] - pads[1] + j;
                                if (iw >= 0 && iw < shape[3])
                                {
                                    T v = x[(nc * shape[2] + ih) * shape[3] + iw];
                                    if (!any || v.CompareTo(best) > 0)
                                    {
                                        best = v;
                                        any = true;
                                    }
                                }
                            }
                        }

                        y[(nc * outShape[2] + oh) * outShape[3] + ow] = best;
                    }
                }
            }
        }
    }
}
