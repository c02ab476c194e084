using Scriban.Parsing;
using Scriban.Syntax;

namespace Receptionist.Features.Scenarios;

/// <summary>
/// What the render-time limits cannot stop, refused when the template is parsed: a single operation whose cost
/// grows without bound in one step. Scriban computes integers as BigInteger, so <c>1 &lt;&lt; 1048576</c>, a power, or a
/// product squared in a loop is one long computation the render deadline cannot interrupt; and a range such as
/// <c>1..2000000000</c> handed to an array function is enumerated outside the loop limit.
/// </summary>
sealed class ScenarioBounds : ScriptVisitor
{
    public const int MaxRangeBound = ScenarioLimits.LoopIterations;

    (string Message, ScriptNode Node)? violation;

    /// <returns>The first construct an owner template may not use, and where it is.</returns>
    public static (string Message, SourceSpan Span)? Check(ScriptNode root)
    {
        var bounds = new ScenarioBounds();
        bounds.Visit(root);
        return bounds.violation is { } found ? (found.Message, found.Node.Span) : null;
    }

    public override void Visit(ScriptBinaryExpression node)
    {
        if (violation is not null)
            return;
        switch (node.Operator)
        {
            case ScriptBinaryOperator.ShiftLeft or ScriptBinaryOperator.ShiftRight or ScriptBinaryOperator.Power
                or ScriptBinaryOperator.Multiply:
                violation = ($"The operator `{node.OperatorToken?.ToString() ?? node.Operator.ToString()}` is not available in scenarios.", node);
                return;
            case ScriptBinaryOperator.RangeInclude or ScriptBinaryOperator.RangeExclude
                when !IsSmallLiteral(node.Left) || !IsSmallLiteral(node.Right):
                violation = ($"A range in a scenario runs between two whole numbers from -{MaxRangeBound} to {MaxRangeBound}, like `1..10`.", node);
                return;
        }
        base.Visit(node);
    }

    public override void Visit(ScriptLiteral node)
    {
        if (violation is null && node.Value is System.Numerics.BigInteger)
            violation = ("This number is too large.", node);
        base.Visit(node);
    }

    static bool IsSmallLiteral(ScriptExpression? expression) => expression switch
    {
        ScriptLiteral { Value: int n } => Math.Abs((long)n) <= MaxRangeBound,
        ScriptLiteral { Value: long n } => Math.Abs(n) <= MaxRangeBound,
        ScriptNestedExpression nested => IsSmallLiteral(nested.Expression),
        ScriptUnaryExpression { Operator: ScriptUnaryOperator.Negate } unary => IsSmallLiteral(unary.Right),
        _ => false,
    };
}
