namespace QuantGen.Testing
{
    /// <summary>
    /// The small multi-input specs the C#, ILGPU and HLS tests share (one definition, so the backends are tested on the
    /// same models): weights-free two inputs / two outputs, and token ids with an embedding table plus a quantized input.
    /// </summary>
    public static class MultiIoSpecs
    {
        /// <summary>Two quantized inputs of different shapes and zero points, two outputs (one of them also read by a layer); no weights.</summary>
        public const string Two = """
            {
              "format": "quantgen", "version": 1, "name": "two", "kind": "quantized", "weights": "two.safetensors",
              "inputs": [
                { "name": "left_in", "shape": [2, 8], "range": [-1.28, 1.27], "type": "int8", "scale": 0.01, "zeroPoint": 0 },
                { "name": "right-in", "shape": [8], "range": [-0.5, 0.5], "type": "int8", "scale": 0.02, "zeroPoint": 3 }
              ],
              "outputs": ["sum", "pos"],
              "initializers": {},
              "activations": { "sum": { "type": "int8", "scale": 0.02, "zeroPoint": -2 } },
              "layers": [
                { "name": "add", "op": "Add", "inputs": ["left_in", "right-in"], "output": "sum",
                  "multiplierA": 1073741824, "shiftA": 31, "multiplierB": 1, "shiftB": 0 },
                { "name": "relu", "op": "Relu", "inputs": ["sum"], "output": "pos" }
              ]
            }
            """;

        /// <summary>Token ids (valid ids [0, 8] of a 10-row int8 table "table" [10, 4]) and a quantized input; the embedding rows plus the input.</summary>
        public const string Tok = """
            {
              "format": "quantgen", "version": 1, "name": "tok", "kind": "quantized", "weights": "tok.safetensors",
              "inputs": [
                { "name": "input_ids", "shape": [1, 4], "range": [0, 3], "type": "index" },
                { "name": "bias", "shape": [2], "range": [-1, 1], "type": "int8", "scale": 0.1, "zeroPoint": 0 }
              ],
              "outputs": ["sum"],
              "initializers": { "table": { "type": "int8", "shape": [4, 2], "scale": 0.1 } },
              "activations": { "e": { "type": "int8", "scale": 0.1, "zeroPoint": 0 }, "sum": { "type": "int8", "scale": 0.1, "zeroPoint": 0 } },
              "layers": [
                { "name": "emb", "op": "Embedding", "inputs": ["input_ids"], "output": "e", "table": "table" },
                { "name": "add", "op": "Add", "inputs": ["e", "bias"], "output": "sum", "multiplierA": 1, "shiftA": 0, "multiplierB": 1, "shiftB": 0 }
              ]
            }
            """;
    }
}
