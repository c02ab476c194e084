using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Receptionist.Data.Migrations
{
    /// <inheritdoc />
    public partial class OperatorCallIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_calls_operator_id",
                table: "calls");

            migrationBuilder.CreateIndex(
                name: "ix_calls_operator_answered",
                table: "calls",
                columns: new[] { "operator_id", "claimed_at" },
                filter: "status = 'Ended' AND outcome = 'Answered'");

            migrationBuilder.CreateIndex(
                name: "ix_calls_operator_on_call",
                table: "calls",
                column: "operator_id",
                filter: "status IN ('Claimed', 'Answered')");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_calls_operator_answered",
                table: "calls");

            migrationBuilder.DropIndex(
                name: "ix_calls_operator_on_call",
                table: "calls");

            migrationBuilder.CreateIndex(
                name: "ix_calls_operator_id",
                table: "calls",
                column: "operator_id");
        }
    }
}
